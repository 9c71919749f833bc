package harness

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RunCtl runs bin, etcdctl or a command that takes etcdctl's arguments (chapter 05's
// etcdwalkctl), with exactly args, feeding it stdin, and returns what it printed and its exit
// status. Unlike Etcdctl it adds no flag, so a test can leave out --endpoints or give the
// timeouts itself. The environment is the test's, less its ETCDCTL_* variables, plus env
// ("NAME=value" entries), so a test can set ETCDCTL_ENDPOINTS and the others.
//
// stderr is what bin itself printed: the JSON log lines of its client library are removed, as
// Etcdctl removes them.
func RunCtl(t testing.TB, bin, stdin string, env []string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), etcdctlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCDCTL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("harness: %s %s did not finish within %v\nstdout:\n%s\nstderr:\n%s",
			bin, strings.Join(args, " "), etcdctlTimeout, out.String(), errOut.String())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		exitCode = exit.ExitCode()
	default:
		t.Fatalf("harness: run %s %s: %v", bin, strings.Join(args, " "), err)
	}
	return out.String(), dropClientLogs(errOut.String()), exitCode
}
