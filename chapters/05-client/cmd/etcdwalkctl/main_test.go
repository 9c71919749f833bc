package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc/grpclog"
)

func TestMain(m *testing.M) {
	setGRPCLogger = func(grpclog.LoggerV2) {}
	goleak.VerifyTestMain(m)
}

// syncBuffer is a buffer the client's goroutines may write to (its logs, gRPC's errors) while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// exited is how a command's exit reaches runCtl: exit panics with it, which unwinds the command
// (closing its client on the way) up to runCtl.
type exited int

// runCtl runs etcdwalkctl with args in this process, as main does, with in as its standard
// input, and returns what it printed on stdout and stderr and its exit status. Tests that use
// it must not run in parallel: it swaps the package's stdin, stdout, stderr and exit.
func runCtl(t *testing.T, in string, args ...string) (out, errOut string, code int) {
	t.Helper()
	var o, e syncBuffer
	oldIn, oldOut, oldErr, oldExit := stdin, stdout, stderr, exit
	stdin, stdout, stderr = strings.NewReader(in), &o, &e
	exit = func(c int) { panic(exited(c)) }
	defer func() {
		stdin, stdout, stderr, exit = oldIn, oldOut, oldErr, oldExit
	}()
	func() {
		defer func() {
			if r := recover(); r != nil {
				c, ok := r.(exited)
				if !ok {
					panic(r)
				}
				code = int(c)
			}
		}()
		root := newRootCommand()
		root.SetArgs(args)
		// cobra writes its errors and the empty usage string it captured to stderr, as in a
		// real run, where neither is set and both go to os.Stderr.
		root.SetOut(&e)
		root.SetErr(&e)
		execute(root)
	}()
	return o.String(), e.String(), code
}

// dropLogLines removes the log lines of the client (the retries it logs), which differ on every
// run, from what a command printed on stderr.
func dropLogLines(s string) string {
	var kept []string
	for _, line := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(line, `{"level":`) {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}
