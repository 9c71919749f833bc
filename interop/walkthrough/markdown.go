package walkthrough

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Kind says how a block runs.
type Kind int

const (
	// Script is a ```sh block: its lines run as they are, in one go, and every command that
	// fails is reported.
	Script Kind = iota
	// Transcript is a ```console block: each "$ " line is a command, and the lines after it,
	// up to the next command, are what it must print.
	Transcript
)

// languages maps a fenced block's info string to how it runs; blocks in any other language
// (plain ```, go, mermaid) are not run.
var languages = map[string]Kind{
	"sh": Script, "bash": Script, "shell": Script,
	"console": Transcript, "shell-session": Transcript,
}

// Doc is a markdown file as a walkthrough: its steps, in the order a reader meets them.
type Doc struct {
	Path  string // relative to the repository root, for messages
	Steps []Step
}

// Step is one thing the reader does: run a block, switch terminals, or press Ctrl-C.
type Step struct {
	Line int // where the block or the directive is, 1-based

	// Block is set for a block; Terminal for "terminal NAME [DIR]"; Stop for "stop [NAME]".
	Block    *Block
	Terminal *TerminalSwitch
	Stop     *StopServer
}

// Block is one shell block of the doc.
type Block struct {
	Line    int // the line of the opening fence
	Kind    Kind
	Text    string    // the block's content, as written
	Section string    // the heading the block is under, for messages
	Skip    string    // why the block does not run; empty if it runs
	Server  *Server   // set if the block starts a server that keeps running
	Cmds    []Command // a Transcript's commands

	headings []string // the titles of the headings it is under, outermost first
}

// Command is one "$ " command of a Transcript and the output the doc shows for it.
type Command struct {
	Line int    // the line of the "$ "
	Text string // the command without "$ ", with its continuation and here-document lines
	Want []string
}

// Server says that a block starts a server in the terminal Terminal, and that the server is
// ready once every one of URLs answers.
type Server struct {
	Terminal string
	URLs     []string
}

// TerminalSwitch makes Name the terminal the next blocks run in, created at the repository root
// if it is new; Dir, if set, is where it then changes to, relative to the root.
type TerminalSwitch struct {
	Name, Dir string
}

// StopServer is Ctrl-C in the terminal Name, or in every terminal that runs a server if Name is
// empty.
type StopServer struct {
	Name string
}

// Skipped is a block that does not run, and why.
type Skipped struct {
	Line   int
	Reason string
}

// Skipped lists the blocks that do not run.
func (d *Doc) Skipped() []Skipped {
	var s []Skipped
	for _, st := range d.Steps {
		if st.Block != nil && st.Block.Skip != "" {
			s = append(s, Skipped{st.Block.Line, st.Block.Skip})
		}
	}
	return s
}

// Runnable counts the blocks that run.
func (d *Doc) Runnable() int {
	n := 0
	for _, st := range d.Steps {
		if st.Block != nil && st.Block.Skip == "" {
			n++
		}
	}
	return n
}

// DefaultServerTerminal is the terminal a server runs in when its directive names none.
const DefaultServerTerminal = "server"

// DefaultTerminal is the terminal blocks run in until a directive switches.
const DefaultTerminal = "main"

const directivePrefix = "walkthrough:"

// directiveRE is a directive: an HTML comment of its own, invisible to a reader.
var directiveRE = regexp.MustCompile(`^<!--\s*walkthrough:\s*(.*?)\s*-->\s*$`)

// pending holds the directives that apply to the next block.
type pending struct {
	line   int
	skip   string
	server *Server
}

type sectionSkip struct {
	line    int
	heading string
	reason  string
}

// Parse reads a markdown doc (path is only for messages) into its steps. It fails on a
// directive it does not understand, on one that applies to no block, and on a console block
// that does not start with a command: an annotation that silently does nothing would let a
// block stop running unnoticed.
func Parse(path string, src []byte) (*Doc, error) {
	lines := lineStarts(src)
	lineOf := func(offset int) int {
		i, found := slices.BinarySearch(lines, offset)
		if !found {
			i--
		}
		return i + 1
	}
	d := &Doc{Path: path}
	var (
		errs      []string
		next      *pending
		skips     []*sectionSkip
		headings  []heading // the current heading path
		titles    = map[string]bool{}
		seenLines = map[int]bool{} // lines holding a directive that was understood
		code      [][2]int         // the first and last line of every code block, in any language
	)
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s:%d: %s", path, line, fmt.Sprintf(format, args...)))
	}
	dangling := func(why string) {
		if next != nil {
			fail(next.line, "the directive applies to the next sh or console block, but %s comes first", why)
			next = nil
		}
	}

	root := goldmark.New().Parser().Parse(text.NewReader(src))
	err := ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			dangling("a heading")
			title := strings.TrimSpace(string(n.Lines().Value(src)))
			for len(headings) > 0 && headings[len(headings)-1].level >= n.Level {
				headings = headings[:len(headings)-1]
			}
			headings = append(headings, heading{n.Level, title})
			titles[title] = true
		case *ast.HTMLBlock:
			if n.HTMLBlockType != ast.HTMLBlockType2 {
				return ast.WalkSkipChildren, nil
			}
			raw := n.Lines().Value(src)
			if n.HasClosure() {
				raw = append(raw, n.ClosureLine.Value(src)...)
			}
			line := lineOf(firstOffset(n))
			for i, l := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
				if !strings.Contains(l, directivePrefix) {
					continue
				}
				seenLines[line+i] = true
				m := directiveRE.FindStringSubmatch(strings.TrimSpace(l))
				if m == nil {
					fail(line+i, "a directive is one line of its own: <!-- walkthrough: ... -->")
					continue
				}
				step, p, s, err := parseDirective(m[1])
				switch {
				case err != nil:
					fail(line+i, "%v", err)
				case p != nil:
					if next != nil {
						fail(line+i, "two directives for one block: put skip or server once, right above the block")
					}
					p.line = line + i
					next = p
				case s != nil:
					s.line = line + i
					skips = append(skips, s)
				default:
					dangling("another directive")
					step.Line = line + i
					d.Steps = append(d.Steps, step)
				}
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock:
			if n.Lines().Len() > 0 {
				code = append(code, [2]int{lineOf(n.Lines().At(0).Start), lineOf(n.Lines().At(n.Lines().Len() - 1).Start)})
			}
			return ast.WalkSkipChildren, nil
		case *ast.FencedCodeBlock:
			if n.Lines().Len() > 0 {
				code = append(code, [2]int{lineOf(n.Lines().At(0).Start), lineOf(n.Lines().At(n.Lines().Len() - 1).Start)})
			}
			if n.Info == nil {
				return ast.WalkSkipChildren, nil
			}
			kind, ok := languages[string(n.Language(src))]
			if !ok {
				return ast.WalkSkipChildren, nil
			}
			b := &Block{Line: lineOf(n.Info.Segment.Start), Kind: kind, Section: headingPath(headings)}
			for _, h := range headings {
				b.headings = append(b.headings, h.title)
			}
			var body strings.Builder
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				body.Write(seg.Value(src))
			}
			b.Text = body.String()
			if next != nil {
				b.Skip, b.Server = next.skip, next.server
				next = nil
			}
			if b.Server != nil && kind != Script {
				fail(b.Line, "a server block is a ```sh block: a console block shows what commands print, and a server does not return")
			}
			if kind == Transcript {
				cmds, err := parseTranscript(b.Line+1, b.Text)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s:%v", path, err))
				}
				b.Cmds = cmds
			}
			d.Steps = append(d.Steps, Step{Line: b.Line, Block: b})
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return nil, err
	}
	dangling("the end of the doc")
	// A section skip applies to every block under the heading, wherever the directive is.
	for _, s := range skips {
		if !titles[s.heading] {
			fail(s.line, "skip section %q: the doc has no heading %q", s.heading, s.heading)
			continue
		}
		matched := 0
		for _, st := range d.Steps {
			if b := st.Block; b != nil && slices.Contains(b.headings, s.heading) {
				if b.Server != nil || b.Skip != "" {
					fail(s.line, "skip section %q: line %d already has a directive of its own", s.heading, b.Line)
				}
				b.Skip, b.Server = s.reason, nil
				matched++
			}
		}
		if matched == 0 {
			fail(s.line, "skip section %q: the section has no sh or console block (left over?)", s.heading)
		}
	}
	// A directive goldmark did not see as a block of its own (one inside a paragraph) would do
	// nothing: say so. Directives shown in code, or quoted in `inline code`, are not directives.
	for i, l := range strings.Split(string(src), "\n") {
		if !seenLines[i+1] && !inRanges(code, i+1) && strayDirectiveRE.MatchString(inlineCodeRE.ReplaceAllString(l, "")) {
			fail(i+1, "this directive is not a block of its own: give it a line of its own, after a blank line")
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return d, nil
}

// parseDirective reads what follows "walkthrough:". It returns a Step, a directive for the next
// block, or a section skip.
func parseDirective(s string) (Step, *pending, *sectionSkip, error) {
	verb, rest, _ := strings.Cut(s, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case verb == "skip" && strings.HasPrefix(rest, "section "):
		title, reason, ok := strings.Cut(strings.TrimPrefix(rest, "section "), ":")
		title = strings.Trim(strings.TrimSpace(title), `"`)
		reason = strings.TrimSpace(reason)
		if !ok || title == "" || reason == "" {
			return Step{}, nil, nil, fmt.Errorf(`skip section needs a heading and a reason: skip section "Exercises": why`)
		}
		return Step{}, nil, &sectionSkip{heading: title, reason: reason}, nil
	case verb == "skip:" || verb == "skip":
		reason := strings.TrimSpace(strings.TrimPrefix(rest, ":"))
		if reason == "" {
			return Step{}, nil, nil, fmt.Errorf("skip needs a reason: skip: why the block cannot run here")
		}
		return Step{}, &pending{skip: reason}, nil, nil
	case verb == "server":
		f := strings.Fields(rest)
		srv := &Server{Terminal: DefaultServerTerminal}
		if len(f) == 2 {
			srv.Terminal, f = f[0], f[1:]
		}
		if len(f) != 1 {
			return Step{}, nil, nil, fmt.Errorf("server takes the URLs it serves, comma-separated, and optionally a terminal name before them: server [NAME] http://127.0.0.1:2379,http://127.0.0.1:22379")
		}
		for _, u := range strings.Split(f[0], ",") {
			p, err := url.Parse(u)
			if err != nil || p.Scheme != "http" || p.Port() == "" {
				return Step{}, nil, nil, fmt.Errorf("server: %q is not an http://host:port URL", u)
			}
			srv.URLs = append(srv.URLs, u)
		}
		return Step{}, &pending{server: srv}, nil, nil
	case verb == "stop":
		if len(strings.Fields(rest)) > 1 {
			return Step{}, nil, nil, fmt.Errorf("stop takes at most a terminal name")
		}
		return Step{Stop: &StopServer{Name: rest}}, nil, nil, nil
	case verb == "terminal":
		f := strings.Fields(rest)
		if len(f) < 1 || len(f) > 2 {
			return Step{}, nil, nil, fmt.Errorf("terminal takes a name and optionally a directory relative to the repository root: terminal main chapters/01-rpc")
		}
		sw := &TerminalSwitch{Name: f[0]}
		if len(f) == 2 {
			sw.Dir = f[1]
		}
		return Step{Terminal: sw}, nil, nil, nil
	}
	return Step{}, nil, nil, fmt.Errorf("unknown directive %q (known: skip, skip section, server, stop, terminal)", s)
}

// heredocRE finds the delimiter of a here-document (<<EOF, <<'EOF', <<-"EOF"), not a
// here-string (<<<).
var heredocRE = regexp.MustCompile(`(?:^|[^<])<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)(['"]?)`)

// parseTranscript splits a console block (its first line is line first) into commands: a "$ "
// line, the lines that continue it (after a trailing backslash, and a here-document's), and then
// the output lines up to the next command.
func parseTranscript(first int, body string) ([]Command, error) {
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	var cmds []Command
	for i := 0; i < len(lines); {
		l := lines[i]
		if !strings.HasPrefix(l, "$ ") {
			if len(cmds) == 0 {
				return nil, fmt.Errorf("%d: a console block starts with a command: \"$ \" and the command", first+i)
			}
			c := &cmds[len(cmds)-1]
			c.Want = append(c.Want, l)
			i++
			continue
		}
		c := Command{Line: first + i, Text: strings.TrimPrefix(l, "$ ")}
		i++
		for strings.HasSuffix(c.Text, `\`) && i < len(lines) {
			c.Text += "\n" + lines[i]
			i++
		}
		for _, m := range heredocRE.FindAllStringSubmatch(c.Text, -1) {
			strip, delim := m[1] == "-", m[3]
			for {
				if i >= len(lines) {
					return nil, fmt.Errorf("%d: the here-document of this command has no line %q to end it", c.Line, delim)
				}
				l := lines[i]
				c.Text += "\n" + l
				i++
				if strip {
					l = strings.TrimLeft(l, "\t")
				}
				if l == delim {
					break
				}
			}
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

type heading struct {
	level int
	title string
}

func headingPath(hs []heading) string {
	if len(hs) == 0 {
		return ""
	}
	return hs[len(hs)-1].title
}

var (
	strayDirectiveRE = regexp.MustCompile(`<!--\s*walkthrough:`)
	inlineCodeRE     = regexp.MustCompile("`[^`]*`")
)

func inRanges(ranges [][2]int, line int) bool {
	return slices.ContainsFunc(ranges, func(r [2]int) bool { return r[0] <= line && line <= r[1] })
}

func firstOffset(n ast.Node) int {
	if n.Lines().Len() > 0 {
		return n.Lines().At(0).Start
	}
	if h, ok := n.(*ast.HTMLBlock); ok && h.HasClosure() {
		return h.ClosureLine.Start
	}
	return 0
}

// lineStarts is the byte offset of the start of every line.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' && i+1 < len(src) {
			starts = append(starts, i+1)
		}
	}
	return starts
}
