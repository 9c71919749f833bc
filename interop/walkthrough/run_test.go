package walkthrough

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"etcdwalk/interop/harness"
	"etcdwalk/interop/proc"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder stands for the test in a Run whose failures are the point: it keeps them.
type recorder struct {
	mu       sync.Mutex
	failures []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.failures, "\n---\n")
}

// runDoc parses doc and runs it in root (a new temporary directory if empty), with the test's
// environment less its ETCDCTL_* (these tests are about the runner, not about the reader's
// variables), and short timeouts.
func runDoc(t *testing.T, root, doc string, env ...string) (*recorder, Report) {
	t.Helper()
	d, err := Parse("doc.md", md(doc))
	require.NoError(t, err)
	if root == "" {
		root = t.TempDir()
	}
	base := readerEnv(os.Environ())
	for _, kv := range etcdctlVars(base) {
		base = removeEnv(base, kv)
	}
	r := &Runner{Root: root, Env: append(base, env...), StepTimeout: 5 * time.Second, ReadyTimeout: time.Minute, StopTimeout: 10 * time.Second}
	rec := &recorder{}
	report := r.Run(context.Background(), rec, d)
	return rec, report
}

func removeEnv(env []string, kv string) []string {
	out := env[:0:0]
	for _, e := range env {
		if e != kv {
			out = append(out, e)
		}
	}
	return out
}

// processesWith lists the processes whose command line contains s (Linux only; nil elsewhere).
func processesWith(t *testing.T, s string) []string {
	t.Helper()
	paths, err := filepath.Glob("/proc/[0-9]*/cmdline")
	require.NoError(t, err)
	var found []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), s) {
			found = append(found, p)
		}
	}
	return found
}

func TestRunKeepsTheTerminalsStateAndComparesOutput(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "sub"), 0o755))
	rec, report := runDoc(t, root, `
'''sh
cd sub            # a comment, as the docs write them
export EXPORTED=1
local=2
'''

'''console
$ echo "$EXPORTED $local $(basename "$PWD")"
1 2 sub
$ printf 'a\nb\n'; printf 'to stderr\n' >&2
a
b
to stderr
$ cat <<'EOF'
x

y
EOF
x

y
$ false
$ echo "$?"
1
'''

<!-- walkthrough: terminal other -->

'''console
$ echo "${EXPORTED:-unset} $(basename "$PWD")"
unset `+filepath.Base(root)+`
'''
`)
	assert.Empty(t, rec.all(), "the doc should run as written")
	assert.Equal(t, Report{Blocks: 3, Commands: 6}, report)
}

func TestRunReportsWhatFailsWithItsLine(t *testing.T) {
	rec, _ := runDoc(t, "", `
'''sh
echo one
false
ls /nonexistent-walkthrough-dir
echo two
'''

'''console
$ printf 'a\nb\n'
a
c
'''
`)
	failures := rec.all()
	assert.Contains(t, failures, "doc.md:4: `false` failed with exit status 1 (terminal main). The block printed:")
	assert.Contains(t, failures, "doc.md:5: `ls /nonexistent-walkthrough-dir` failed with exit status 2")
	assert.Contains(t, failures, "two", "the block goes on after a failure, as pasted lines do")
	assert.Contains(t, failures, "doc.md:10: $ printf 'a\\nb\\n'")
	assert.Contains(t, failures, "printed something else than the doc shows")
	assert.Contains(t, failures, "-c\n", "the message shows the difference")
	assert.Len(t, rec.failures, 3, failures)
}

// The issue this package was written for: a doc that exports ETCDCTL_ENDPOINTS and then passes
// --endpoints breaks with etcdctl v3.6, and so does a reader whose environment has the variable.
func TestRunCatchesEtcdctlsConflictingEndpoints(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, ".bin"), 0o755))
	require.NoError(t, os.Symlink(harness.Build(t, harness.EtcdctlPackage, false), filepath.Join(root, ".bin", "etcdctl")))

	rec, _ := runDoc(t, root, `
'''sh
export ETCDCTL_ENDPOINTS=http://127.0.0.1:9
.bin/etcdctl --endpoints=http://127.0.0.1:9 put foo bar
'''
`)
	assert.Contains(t, rec.all(), "doc.md:4: `.bin/etcdctl --endpoints=http://127.0.0.1:9 put foo bar` failed with exit status 1")
	assert.Contains(t, rec.all(), "conflicting environment variable is shadowed by corresponding command-line flag")

	rec, _ = runDoc(t, root, `
'''console
$ .bin/etcdctl --endpoints=http://127.0.0.1:9 put foo bar
OK
'''
`, "ETCDCTL_ENDPOINTS=http://127.0.0.1:9")
	assert.Contains(t, rec.all(), "doc.md:3: $ .bin/etcdctl --endpoints=http://127.0.0.1:9 put foo bar",
		"the reader's own ETCDCTL_ENDPOINTS reaches the doc's commands")
	assert.Contains(t, rec.all(), "conflicting environment variable")
}

func TestReaderEnvKeepsEtcdctlVariables(t *testing.T) {
	assert.Equal(t, []string{"PATH=/bin", "ETCDCTL_ENDPOINTS=http://127.0.0.1:1", "ETCDCTL_API=3"},
		readerEnv([]string{"PATH=/bin", "MAKEFLAGS=-j2", "ETCDCTL_ENDPOINTS=http://127.0.0.1:1", "MAKELEVEL=1", "ETCDCTL_API=3", "MFLAGS=-j2"}))
}

func TestRunStopsWhatDoesNotFinishAndLeavesNothing(t *testing.T) {
	// Odd durations, so that the test can find its own sleeps among the machine's processes.
	rec, _ := runDoc(t, "", `
'''sh
sleep 612.34561
'''
`)
	assert.Contains(t, rec.all(), "doc.md:2: did not finish within 5s. A block that keeps running, such as a server, needs <!-- walkthrough: server URL,... --> above it.")
	assert.Empty(t, processesWith(t, "612.34561"), "the sleep should be stopped")

	rec, _ = runDoc(t, "", `
'''sh
sleep 612.34562 &
'''
`)
	assert.Contains(t, rec.all(), "doc.md: at the end of the doc: terminal main: processes were still running after the doc's end (a command left in the background?)")
	assert.Contains(t, rec.all(), "sleep 612.34562")
	assert.Empty(t, processesWith(t, "612.34562"), "what the doc left in the background should be killed")
}

func TestRunRefusesATakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	u := "http://" + ln.Addr().String()
	rec, report := runDoc(t, "", `
<!-- walkthrough: server `+u+` -->
'''sh
echo "would start a server"
'''

'''sh
echo "never runs"
'''
`)
	assert.Contains(t, rec.all(), "doc.md:3: the server needs "+u+", but "+ln.Addr().String()+" is taken")
	assert.Contains(t, rec.all(), "something else listens there")
	assert.Equal(t, 1, report.Blocks, "the doc stops at the server it cannot start")
}

func TestRunReportsAServerThatExitsBeforeItAnswers(t *testing.T) {
	port := freePort(t)
	rec, _ := runDoc(t, "", `
<!-- walkthrough: server http://127.0.0.1:`+port+` -->
'''sh
echo "server: bad flag"; false
'''
`)
	assert.Contains(t, rec.all(), "doc.md:3: the server exited (status 1) before it answered on http://127.0.0.1:"+port)
	assert.Contains(t, rec.all(), "server: bad flag")
}

// A real chapter server: started by a block, used by the next, stopped with Ctrl-C, started again
// in the same terminal, and stopped at the end of the doc.
func TestRunServerLifecycle(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, ".bin"), 0o755))
	require.NoError(t, os.Symlink(harness.Build(t, harness.EtcdctlPackage, false), filepath.Join(root, ".bin", "etcdctl")))
	server := harness.Build(t, "etcdwalk/chapters/01-rpc/cmd/server", false)
	u := "http://127.0.0.1:" + freePort(t)
	rec, report := runDoc(t, root, `
<!-- walkthrough: server `+u+` -->
'''sh
`+server+` --listen-client-urls `+u+`
'''

'''console
$ .bin/etcdctl --endpoints=`+u+` put foo bar
OK
'''

<!-- walkthrough: stop -->

'''console
$ .bin/etcdctl --endpoints=`+u+` --dial-timeout=1s --command-timeout=1s get foo 2>&1 | grep -c 'deadline exceeded'
1
'''

<!-- walkthrough: server `+u+` -->
'''sh
`+server+` --listen-client-urls `+u+`
'''

'''console
$ .bin/etcdctl --endpoints=`+u+` get foo
'''
`)
	assert.Empty(t, rec.all(), "chapter 01 keeps nothing across a restart, and the doc says so")
	assert.Equal(t, Report{Blocks: 5, Commands: 3, Servers: 2}, report)
	require.NoError(t, portFree(u), "the server should be stopped at the end of the doc")
}

func freePort(t *testing.T) string {
	t.Helper()
	ports, err := proc.FreePorts(1)
	require.NoError(t, err)
	return strconv.Itoa(ports[0])
}
