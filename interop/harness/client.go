package harness

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// etcdctlTimeout bounds one etcdctl run, start to exit. etcdctl's own --command-timeout is
// shorter, so normally etcdctl gives up first and reports why.
const etcdctlTimeout = 30 * time.Second

// NewClient returns an official etcd client (clientv3) for endpoint, with a dial timeout and a
// silent logger, closed when the test ends.
func NewClient(t testing.TB, endpoint string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("harness: clientv3.New(%s): %v", endpoint, err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Dial returns a plain gRPC connection to endpoint, without any of clientv3's retries or error
// translation, for etcd's generated clients (etcdserverpb.NewKVClient(conn)). The connection is
// closed when the test ends.
func Dial(t testing.TB, endpoint string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(strings.TrimPrefix(endpoint, "http://"),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("harness: grpc.NewClient(%s): %v", endpoint, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Etcdctl runs etcdctl v3.6.16 against endpoint with args, feeding it stdin, and returns what it
// printed and its exit status. Environment variables ETCDCTL_* of the person running the tests
// are dropped so they cannot change the output.
//
// stderr is what etcdctl itself printed ("Error: etcdserver: key not found"): the log lines of its
// client library (JSON objects with a timestamp, the client's address and a pointer, such as
// "retrying of unary invoker failed") are removed, since they differ on every run.
func Etcdctl(t testing.TB, endpoint, stdin string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	bin := Build(t, EtcdctlPackage, false)
	ctx, cancel := context.WithTimeout(context.Background(), etcdctlTimeout)
	defer cancel()
	argv := append([]string{"--endpoints=" + endpoint, "--dial-timeout=5s", "--command-timeout=10s"}, args...)
	cmd := exec.CommandContext(ctx, bin, argv...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCDCTL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("harness: etcdctl %s did not finish within %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), etcdctlTimeout, out.String(), errOut.String())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		exitCode = exit.ExitCode()
	default:
		t.Fatalf("harness: run etcdctl %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), dropClientLogs(errOut.String()), exitCode
}

func dropClientLogs(stderr string) string {
	var kept []string
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(line, `{"level":`) {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}
