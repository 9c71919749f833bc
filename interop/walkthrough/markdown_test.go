package walkthrough

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fence = "```"

// md turns a doc written with ”' for fences into markdown (Go raw strings cannot hold `).
func md(s string) []byte { return []byte(strings.ReplaceAll(s, "'''", fence)) }

func TestParseStepsInReadingOrder(t *testing.T) {
	doc, err := Parse("doc.md", md(`# Title

'''go
fmt.Println("not run")
'''

<!-- walkthrough: skip: needs the network -->
'''sh
curl https://example.com
'''

<!-- walkthrough: server http://127.0.0.1:2379,http://127.0.0.1:22379 -->
'''sh
make run
'''

<!-- walkthrough: terminal second chapters/01-rpc -->

'''console
$ etcdctl put foo bar
OK
$ etcdctl txn <<'EOF'
value("foo") = "bar"

put foo baz

EOF
SUCCESS

OK
$ echo a \
  b
a b
'''

'''
plain output, not run
'''

<!-- walkthrough: stop -->

## Exercises

'''sh
go test -tags workshop ./...
'''

<!-- walkthrough: skip section "Exercises": the workshop build fails on purpose -->
`))
	require.NoError(t, err)
	require.Len(t, doc.Steps, 6, "the go and plain blocks are not steps")

	assert.Equal(t, &Block{Line: 8, Kind: Script, Text: "curl https://example.com\n", Section: "Title", Skip: "needs the network", headings: []string{"Title"}}, doc.Steps[0].Block)
	assert.Equal(t, &Server{Terminal: DefaultServerTerminal, URLs: []string{"http://127.0.0.1:2379", "http://127.0.0.1:22379"}}, doc.Steps[1].Block.Server)
	assert.Equal(t, 13, doc.Steps[1].Line, "a block's line is its opening fence's")
	assert.Equal(t, &TerminalSwitch{Name: "second", Dir: "chapters/01-rpc"}, doc.Steps[2].Terminal)
	assert.Equal(t, 17, doc.Steps[2].Line)

	c := doc.Steps[3].Block
	require.Equal(t, Transcript, c.Kind)
	assert.Equal(t, []Command{
		{Line: 20, Text: "etcdctl put foo bar", Want: []string{"OK"}},
		{Line: 22, Text: "etcdctl txn <<'EOF'\nvalue(\"foo\") = \"bar\"\n\nput foo baz\n\nEOF", Want: []string{"SUCCESS", "", "OK"}},
		{Line: 31, Text: "echo a \\\n  b", Want: []string{"a b"}},
	}, c.Cmds, "a here-document's lines and a continuation line belong to the command")

	assert.NotNil(t, doc.Steps[4].Stop)
	assert.Equal(t, "the workshop build fails on purpose", doc.Steps[5].Block.Skip, "a section skip applies wherever the directive is")
	assert.Equal(t, 2, doc.Runnable())
	assert.Equal(t, []Skipped{{8, "needs the network"}, {44, "the workshop build fails on purpose"}}, doc.Skipped())
}

func TestParseRefusesDirectivesThatDoNothing(t *testing.T) {
	for _, tc := range []struct {
		name, doc, err string
	}{
		{"unknown verb", "<!-- walkthrough: run fast -->\n\n'''sh\nls\n'''\n", `doc.md:1: unknown directive "run fast"`},
		{"skip without a reason", "<!-- walkthrough: skip -->\n'''sh\nls\n'''\n", "doc.md:1: skip needs a reason"},
		{"skip before a heading", "<!-- walkthrough: skip: why -->\n\n# H\n\n'''sh\nls\n'''\n", "doc.md:1: the directive applies to the next sh or console block, but a heading comes first"},
		{"skip at the end", "'''sh\nls\n'''\n\n<!-- walkthrough: skip: why -->\n", "doc.md:5: the directive applies to the next sh or console block, but the end of the doc comes first"},
		{"skip before a go block only", "<!-- walkthrough: skip: why -->\n'''go\nx\n'''\n", "but the end of the doc comes first"},
		{"two directives", "<!-- walkthrough: skip: why -->\n<!-- walkthrough: server http://127.0.0.1:1 -->\n'''sh\nls\n'''\n", "doc.md:2: two directives for one block"},
		{"server URL without a port", "<!-- walkthrough: server http://localhost -->\n'''sh\nls\n'''\n", `"http://localhost" is not an http://host:port URL`},
		{"server on a console block", "<!-- walkthrough: server http://127.0.0.1:1 -->\n'''console\n$ ls\n'''\n", "doc.md:2: a server block is a ```sh block"},
		{"section that does not exist", "<!-- walkthrough: skip section \"Nope\": why -->\n\n'''sh\nls\n'''\n", `doc.md:1: skip section "Nope": the doc has no heading "Nope"`},
		{"section without blocks", "<!-- walkthrough: skip section \"H\": why -->\n\n# H\n\ntext\n", `skip section "H": the section has no sh or console block`},
		{"directive inside a paragraph", "Some text <!-- walkthrough: skip: why --> more.\n\n'''sh\nls\n'''\n", "doc.md:1: this directive is not a block of its own"},
		{"console block without a command", "'''console\nOK\n'''\n", `doc.md:2: a console block starts with a command`},
		{"here-document without its end", "'''console\n$ cat <<EOF\nx\n'''\n", "doc.md:2: the here-document of this command has no line \"EOF\" to end it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("doc.md", md(tc.doc))
			require.Error(t, err, "Parse should refuse:\n%s", tc.doc)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestParseIgnoresDirectivesShownAsCode(t *testing.T) {
	doc, err := Parse("doc.md", md("Write `<!-- walkthrough: skip: why -->` above the block.\n\n'''\n<!-- walkthrough: stop -->\n'''\n\n    <!-- walkthrough: stop -->\n"))
	require.NoError(t, err, "a directive quoted in inline code or shown in a code block is not one")
	assert.Empty(t, doc.Steps)
}
