package proc

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// helperEnv makes the test binary, started by a test as a child, play a misbehaving server
// instead of running the tests: see helper.
const helperEnv = "ETCDWALK_PROC_TEST_HELPER"

// builder is the tests' one Builder, so that etcd is built once per run.
var builder struct {
	once sync.Once
	dir  string
	b    *Builder
	err  error
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helper(mode)
		return
	}
	// Every client, connection and process watcher must be gone once the tests are done.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if builder.dir != "" {
			os.RemoveAll(builder.dir)
		}
		os.Exit(code)
	}))
}

// helper is a child process that never answers a client, and behaves on SIGTERM as mode says.
// It prints "up" once its signal handling is in place, so that a test can wait for it.
func helper(mode string) {
	term := make(chan os.Signal, 1)
	switch mode {
	case "sleep": // SIGTERM's default: die of it
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	case "exit-0-on-term", "exit-1-on-term":
		signal.Notify(term, syscall.SIGTERM)
	case "fail":
		fmt.Fprintln(os.Stderr, "helper: flag provided but not defined: -bogus")
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "helper: unknown mode", mode)
		os.Exit(3)
	}
	fmt.Println("up")
	select {
	case <-term:
		if mode == "exit-1-on-term" {
			os.Exit(1)
		}
		os.Exit(0)
	case <-time.After(time.Minute): // a safety net: the parent kills it long before
		os.Exit(4)
	}
}

// helperSpec is the Spec of a helper child in mode. Its endpoint is a free port nobody listens
// on, so it is never ready.
func helperSpec(t *testing.T, mode string) Spec {
	ports, err := FreePorts(1)
	require.NoError(t, err)
	return Spec{
		Name: "helper-" + mode,
		Bin:  os.Args[0],
		// A -race binary that exits with status 0 sleeps a second first, in case other threads
		// have races to report; the tests' stop timeouts are shorter than that.
		Env:       []string{helperEnv + "=" + mode, "GORACE=atexit_sleep_ms=0"},
		Endpoints: localURLs(ports),
		LogDir:    t.TempDir(),
		Timeouts:  Timeouts{Ready: time.Second, Stop: 500 * time.Millisecond},
	}
}

// launchHelper starts a helper and waits until it has said "up".
func launchHelper(t *testing.T, spec Spec) *Process {
	t.Helper()
	p, err := launch(spec)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Stop() })
	require.Eventually(t, func() bool { return strings.Contains(p.Tail(), "up") }, 10*time.Second, 10*time.Millisecond,
		"the helper should start; its output:\n%s", LogTails(p))
	return p
}

// testBinary builds pkg once per test run.
func testBinary(t *testing.T, pkg string) string {
	t.Helper()
	builder.once.Do(func() {
		builder.dir, builder.err = os.MkdirTemp("", "etcdwalk-proc-test-bin-")
		if builder.err == nil {
			builder.b, builder.err = NewBuilder(builder.dir)
		}
	})
	require.NoError(t, builder.err)
	bin, err := builder.b.Build(context.Background(), pkg, false)
	require.NoError(t, err)
	return bin
}

// children are the PIDs of the live child processes of the test process (Linux only; nil
// elsewhere). Zombies count: a child nobody has waited for is a leak too.
func children(t *testing.T) []int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return nil
	}
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	require.NoError(t, err)
	var pids []int
	for _, path := range stats {
		dir := filepath.Base(filepath.Dir(path))
		if f, ok := StatFields(dir); ok && len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) {
			pid, _ := strconv.Atoi(dir)
			pids = append(pids, pid)
		}
	}
	return pids
}

// requireNoChildren fails the test if any child process is left.
func requireNoChildren(t *testing.T) {
	t.Helper()
	require.Empty(t, children(t), "no child process should be left")
}

// syscallTerm sends SIGTERM to pid behind its Process's back, as someone else on the machine
// might.
func syscallTerm(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(syscall.SIGTERM)
}
