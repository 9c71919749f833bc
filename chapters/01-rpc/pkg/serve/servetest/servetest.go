package servetest

import (
	"context"
	"flag"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// FlagCase is a command line a server must refuse before it serves anything: run(Args) returns an
// error whose text contains WantErr.
type FlagCase struct {
	Name    string
	Args    []string
	WantErr string
}

// commonFlagCases are refused the same way by every server built on serve.FlagSet and serve.Parse.
var commonFlagCases = []FlagCase{
	{Name: "help", Args: []string{"--help"}, WantErr: flag.ErrHelp.Error()},
	{Name: "unknown flag", Args: []string{"--data-dirr", "x"}, WantErr: "flag provided but not defined"},
	{Name: "stray argument", Args: []string{"serve"}, WantErr: `unexpected argument "serve"`},
}

// refuseWithin bounds each case: a run that accepts its flags starts serving and never returns,
// and the test should say so rather than hang until go test's timeout. (A variable for this
// package's own test.)
var refuseWithin = 10 * time.Second

// RefusesBadFlags checks that run, a server's main without os.Args, refuses the command lines every
// server refuses (--help, an unknown flag, a positional argument) and then each of cases.
func RefusesBadFlags(t testing.TB, run func(args []string) error, cases ...FlagCase) {
	t.Helper()
	for _, c := range slices.Concat(commonFlagCases, cases) {
		errc := make(chan error, 1)
		go func() { errc <- run(c.Args) }()
		select {
		case err := <-errc:
			require.ErrorContains(t, err, c.WantErr, "%s: run(%q) must refuse these flags with an error naming %q", c.Name, c.Args, c.WantErr)
		case <-time.After(refuseWithin):
			require.FailNow(t, "run did not return", "%s: run(%q) accepted these flags and went on to serve; it must refuse them with an error naming %q", c.Name, c.Args, c.WantErr)
		}
	}
}

// Dial serves gs on an in-memory listener and returns a client connection to it. When the test
// ends, the connection is closed and gs stopped, before the cleanups registered earlier run: a
// test registers the cleanup of what gs serves (a store, an EtcdServer) before calling Dial.
func Dial(t testing.TB, gs *grpc.Server) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err, "a client of the in-memory listener")
	t.Cleanup(func() {
		conn.Close()
		gs.Stop()
	})
	return conn
}
