package walkthrough

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"etcdwalk/interop/proc"

	"github.com/stretchr/testify/assert"
)

// Default timeouts, where a Runner leaves its fields zero.
const (
	// DefaultStepTimeout bounds one sh block or one console command. The slowest a doc asks for
	// is a first `make etcdctl` on a cold build cache.
	DefaultStepTimeout = 3 * time.Minute
	// DefaultReadyTimeout bounds a server block until every URL answers: `go run` compiles the
	// chapter first.
	DefaultReadyTimeout = 5 * time.Minute
	// DefaultStopTimeout bounds Ctrl-C until the server has exited and freed its ports.
	DefaultStopTimeout = 20 * time.Second
)

// DefaultMaxFailures ends a doc's run: past it, the failures are likely consequences of the
// first ones.
const DefaultMaxFailures = 10

// Runner runs the walkthroughs of docs in a copy of the repository.
type Runner struct {
	Root string   // where the docs run: a copy of the repository, as a fresh clone has it
	Env  []string // the terminals' environment, as a reader's terminal has it

	StepTimeout, ReadyTimeout, StopTimeout time.Duration
	// MaxFailures ends a doc's run after that many failures (DefaultMaxFailures if 0).
	MaxFailures int
}

// Report says what a run did.
type Report struct {
	Blocks   int // sh and console blocks run
	Commands int // console commands run
	Servers  int // servers started
	Skipped  []Skipped
}

func (r Report) String() string {
	s := fmt.Sprintf("%d blocks run (%d console commands, %d servers), %d skipped", r.Blocks, r.Commands, r.Servers, len(r.Skipped))
	for _, sk := range r.Skipped {
		s += fmt.Sprintf("\n  skipped line %d: %s", sk.Line, sk.Reason)
	}
	return s
}

// session is one run of one doc.
type session struct {
	r        *Runner
	t        assert.TestingT
	doc      *Doc
	terms    map[string]*terminal
	order    []string // terminal names, oldest first
	cur      string
	failures int
	report   Report
}

// Run runs d's steps in order and reports every failure to t: a block whose command fails, a
// console command that prints something else than the doc shows, a server that does not
// answer, does not stop on Ctrl-C, or whose port is taken, a process left running at the end.
// It returns once every terminal it opened is closed and every process it started has ended.
func (r *Runner) Run(ctx context.Context, t assert.TestingT, d *Doc) Report {
	s := &session{r: r, t: t, doc: d, terms: map[string]*terminal{}, cur: DefaultTerminal}
	defer s.closeAll()
	for _, st := range d.Steps {
		if s.failures >= orDefault(r.MaxFailures, DefaultMaxFailures) {
			s.fail(st.Line, "stopped here after %d failures", s.failures)
			break
		}
		if ctx.Err() != nil {
			s.fail(st.Line, "stopped here: %v", context.Cause(ctx))
			break
		}
		if !s.step(ctx, st) {
			break
		}
	}
	return s.report
}

func (s *session) fail(line int, format string, args ...any) {
	s.failures++
	s.t.Errorf("%s:%d: %s", s.doc.Path, line, fmt.Sprintf(format, args...))
}

// step runs one step; false ends the doc, whose later steps would only fail because of this one.
func (s *session) step(ctx context.Context, st Step) bool {
	switch {
	case st.Terminal != nil:
		return s.switchTerminal(ctx, st.Line, st.Terminal)
	case st.Stop != nil:
		return s.stop(st.Line, st.Stop.Name)
	}
	b := st.Block
	if b.Skip != "" {
		s.report.Skipped = append(s.report.Skipped, Skipped{b.Line, b.Skip})
		return true
	}
	s.report.Blocks++
	switch {
	case b.Server != nil:
		return s.startServer(ctx, b)
	case b.Kind == Transcript:
		return s.transcript(ctx, b)
	default:
		return s.script(ctx, b)
	}
}

func (r *Runner) stepTimeout() time.Duration  { return orDefault(r.StepTimeout, DefaultStepTimeout) }
func (r *Runner) readyTimeout() time.Duration { return orDefault(r.ReadyTimeout, DefaultReadyTimeout) }
func (r *Runner) stopTimeout() time.Duration  { return orDefault(r.StopTimeout, DefaultStopTimeout) }

func orDefault[T time.Duration | int](d, def T) T {
	if d > 0 {
		return d
	}
	return def
}

// terminal returns the terminal name, started at the root if it is new.
func (s *session) terminal(line int, name string) *terminal {
	if t, ok := s.terms[name]; ok {
		return t
	}
	t, err := startTerminal(name, s.r.Root, s.r.Env)
	if err != nil {
		s.fail(line, "%v", err)
		return nil
	}
	s.terms[name] = t
	s.order = append(s.order, name)
	return t
}

// idle returns the terminal name if nothing runs in it.
func (s *session) idle(line int, name string) *terminal {
	t := s.terminal(line, name)
	if t != nil && t.server != nil {
		s.fail(line, "terminal %q still runs the server of line %d: press Ctrl-C first (<!-- walkthrough: stop -->), or run this block in another terminal (<!-- walkthrough: terminal NAME -->)", name, t.server.line)
		return nil
	}
	return t
}

func (s *session) switchTerminal(ctx context.Context, line int, sw *TerminalSwitch) bool {
	s.cur = sw.Name
	if sw.Dir == "" {
		return true
	}
	t := s.idle(line, sw.Name)
	if t == nil {
		return false
	}
	dir := filepath.Join(s.r.Root, filepath.FromSlash(sw.Dir))
	res, ok := s.run(ctx, t, line, "cd -- '"+strings.ReplaceAll(dir, "'", `'\''`)+"'")
	if ok && res.status != 0 {
		s.fail(line, "terminal %s: cd %s failed: %s", sw.Name, sw.Dir, res.out)
		return false
	}
	return ok
}

// run runs one command in t and waits for it. On a timeout it reports, presses Ctrl-C, and
// returns false: the terminal is then in an unknown state.
func (s *session) run(ctx context.Context, t *terminal, line int, command string) (result, bool) {
	seq, _, err := t.start(command)
	if err != nil {
		s.fail(line, "%v", err)
		return result{}, false
	}
	return s.await(ctx, t, line, seq)
}

func (s *session) await(ctx context.Context, t *terminal, line, seq int) (result, bool) {
	ctx, cancel := context.WithTimeout(ctx, s.r.stepTimeout())
	defer cancel()
	res, err := t.wait(ctx, seq)
	switch {
	case errors.Is(err, errTimeout):
		s.fail(line, "did not finish within %v. A block that keeps running, such as a server, needs "+
			"<!-- walkthrough: server URL,... --> above it. It printed so far:\n%s", s.r.stepTimeout(), indent(lastLines(res.out, 30)))
		s.abandon(t)
		return res, false
	case err != nil:
		s.fail(line, "terminal %s: %v; it printed:\n%s", t.name, err, indent(lastLines(res.out, 30)))
		s.abandon(t)
		return res, false
	}
	return res, true
}

// abandon gives up on a terminal whose command did not finish: Ctrl-C, then SIGKILL to its
// process group if that was not enough. closeAll closes it at the end of the doc.
func (s *session) abandon(t *terminal) {
	t.server = nil
	t.interrupt()
	ctx, cancel := context.WithTimeout(context.Background(), s.r.stopTimeout())
	defer cancel()
	if _, err := t.wait(ctx, t.seq); err != nil {
		t.kill()
	}
}

// script runs a ```sh block as pasted: every command that fails is reported with its line.
func (s *session) script(ctx context.Context, b *Block) bool {
	t := s.idle(b.Line, s.cur)
	if t == nil {
		return false
	}
	seq, first, err := t.start(b.Text)
	if err != nil {
		s.fail(b.Line, "%v", err)
		return false
	}
	res, ok := s.await(ctx, t, b.Line, seq)
	if !ok {
		return false
	}
	lines := strings.Split(b.Text, "\n")
	for _, f := range res.failed {
		i := f[0] - first
		cmd := ""
		if i >= 0 && i < len(lines) {
			cmd = strings.TrimSpace(lines[i])
		}
		s.fail(b.Line+1+i, "`%s` failed with exit status %d (terminal %s). The block printed:\n%s%s", cmd, f[1], t.name, indent(lastLines(res.out, 30)), s.servers())
	}
	return true
}

// transcript runs a ```console block command by command and compares what each printed with
// the doc's lines after it.
func (s *session) transcript(ctx context.Context, b *Block) bool {
	t := s.idle(b.Line, s.cur)
	if t == nil {
		return false
	}
	for _, c := range b.Cmds {
		s.report.Commands++
		res, ok := s.run(ctx, t, c.Line, c.Text)
		if !ok {
			return false
		}
		got, want := outputLines(res.out), trimTrailingEmpty(c.Want)
		ng, nw := normalize(got), normalize(want)
		if !slices.Equal(ng, nw) {
			s.failures++
			assert.Equal(s.t, strings.Join(nw, "\n"), strings.Join(ng, "\n"),
				"%s:%d: $ %s\nprinted something else than the doc shows (exit status %d, terminal %s; volatile parts compared by pattern, as <size>, <number>, <true|false>, <percent>, <time>). It printed:\n%s%s",
				s.doc.Path, c.Line, firstLine(c.Text), res.status, t.name, indent(strings.Join(got, "\n")), s.servers())
		}
	}
	return true
}

// startServer runs a server block in its terminal and waits until every URL answers.
func (s *session) startServer(ctx context.Context, b *Block) bool {
	srv := b.Server
	t := s.idle(b.Line, srv.Terminal)
	if t == nil {
		return false
	}
	for _, u := range srv.URLs {
		if err := portFree(u); err != nil {
			s.fail(b.Line, "the server needs %s, but %v: something else listens there (a `make run` or an etcd of "+
				"yours?). Stop it and run the test again; `ss -ltnp | grep :%s` shows which process has it", u, err, port(u))
			return false
		}
	}
	seq, _, err := t.start(b.Text)
	if err != nil {
		s.fail(b.Line, "%v", err)
		return false
	}
	t.server = &running{seq: seq, line: b.Line, srv: srv}
	s.report.Servers++
	rctx, cancel := context.WithTimeoutCause(ctx, s.r.readyTimeout(), fmt.Errorf("not ready within %v", s.r.readyTimeout()))
	defer cancel()
	exited := t.done(rctx, seq)
	go func() {
		select {
		case <-exited:
			cancel()
		case <-rctx.Done():
		}
	}()
	err = proc.WaitReady(rctx, srv.URLs, len(srv.URLs) > 1)
	if err == nil {
		return true
	}
	if _, _, status, ok := t.find(seq); ok {
		res, _ := t.wait(context.Background(), seq)
		t.server = nil
		s.fail(b.Line, "the server exited (status %d) before it answered on %s. Its terminal (%s) printed:\n%s", status, strings.Join(srv.URLs, ","), t.name, indent(lastLines(res.out, 30)))
		return false
	}
	s.fail(b.Line, "the server did not answer on %s: %v. Its terminal (%s) printed:\n%s", strings.Join(srv.URLs, ","), err, t.name, indent(t.tail(30)))
	return false
}

// stop is Ctrl-C in terminal name (every terminal running a server, if name is empty). It waits
// until each server has exited and its ports are free.
func (s *session) stop(line int, name string) bool {
	var targets []*terminal
	for _, n := range s.order {
		if t := s.terms[n]; t.server != nil && (name == "" || n == name) {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		s.fail(line, "stop: no server runs (in terminal %q)", name)
		return true
	}
	ok := true
	for _, t := range targets {
		ok = s.stopServer(line, t) && ok
	}
	return ok
}

func (s *session) stopServer(line int, t *terminal) bool {
	srv := t.server
	t.interrupt()
	ctx, cancel := context.WithTimeout(context.Background(), s.r.stopTimeout())
	defer cancel()
	_, err := t.wait(ctx, srv.seq)
	t.server = nil
	if err != nil {
		s.fail(line, "the server of line %d did not stop within %v of Ctrl-C (terminal %s). It printed:\n%s", srv.line, s.r.stopTimeout(), t.name, indent(t.tail(30)))
		s.abandon(t)
		return false
	}
	deadline := time.Now().Add(s.r.stopTimeout())
	for _, u := range srv.srv.URLs {
		for portFree(u) != nil {
			if time.Now().After(deadline) {
				s.fail(line, "%s is still taken after the server of line %d stopped", u, srv.line)
				return false
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return true
}

// closeAll stops every server still running (the reader closing the terminal with Ctrl-C) and
// closes every terminal, reporting what was left behind.
func (s *session) closeAll() {
	for _, n := range s.order {
		if t := s.terms[n]; t.server != nil {
			s.stopServer(t.server.line, t)
		}
	}
	for _, n := range s.order {
		if t, ok := s.terms[n]; ok {
			if err := t.close(s.r.stopTimeout()); err != nil {
				s.failures++
				s.t.Errorf("%s: at the end of the doc: %v", s.doc.Path, err)
			}
		}
	}
	s.terms, s.order = nil, nil
}

// servers is the end of every running server's output, for a failure's message: a command may
// fail because the server did.
func (s *session) servers() string {
	var b strings.Builder
	for _, n := range s.order {
		if t := s.terms[n]; t != nil && t.server != nil {
			fmt.Fprintf(&b, "\nThe server of line %d (terminal %s) printed last:\n%s", t.server.line, n, indent(t.tail(8)))
		}
	}
	return b.String()
}

// portFree says whether u's port can be listened on.
func portFree(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", p.Host)
	if err != nil {
		return fmt.Errorf("%s is taken (%v)", p.Host, err)
	}
	return ln.Close()
}

func port(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Port()
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	if s == "" {
		return "    (nothing)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
