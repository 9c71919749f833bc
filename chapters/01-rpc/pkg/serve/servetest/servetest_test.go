package servetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/pkg/serve"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a testing.TB that notes failures instead of ending the test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) FailNow() {}

// server is a run function as the chapters write them: serve's flag set, one flag of its own.
func server(check func(n int) error) func([]string) error {
	return func(args []string) error {
		fs := serve.FlagSet("a test server")
		fs.SetOutput(&strings.Builder{})
		n := fs.Int("n", 1, "a number")
		if err := serve.Parse(fs, args); err != nil {
			return err
		}
		return check(*n)
	}
}

func TestRefusesBadFlags(t *testing.T) {
	refuseZero := func(n int) error {
		if n == 0 {
			return errors.New("--n must be at least 1")
		}
		return nil
	}
	refuseZeroVaguely := func(n int) error {
		if n == 0 {
			return errors.New("bad")
		}
		return nil
	}
	served := make(chan struct{})
	t.Cleanup(func() { close(served) })
	serveUntilTheTestEnds := func(int) error { <-served; return nil }
	zero := FlagCase{Name: "zero", Args: []string{"--n", "0"}, WantErr: "--n"}

	tests := []struct {
		name        string
		run         func([]string) error
		cases       []FlagCase
		wantFailure string // "": RefusesBadFlags passes
	}{
		{"a server that refuses all", server(refuseZero), []FlagCase{zero}, ""},
		{"an error that does not name the flag", server(refuseZeroVaguely), []FlagCase{zero}, `zero: run(["--n" "0"]) must refuse these flags`},
		{"a server that accepts the flags and serves", server(serveUntilTheTestEnds), []FlagCase{zero}, "accepted these flags and went on to serve"},
		{"a server that accepts stray arguments", func([]string) error { return errors.New("flag provided but not defined") }, nil, `stray argument: run(["serve"]) must refuse`},
	}
	refuseWithin = 100 * time.Millisecond
	t.Cleanup(func() { refuseWithin = 10 * time.Second })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			RefusesBadFlags(rec, tt.run, tt.cases...)
			if tt.wantFailure == "" {
				require.Empty(t, rec.failures, "every case is refused as it should be")
				return
			}
			require.NotEmpty(t, rec.failures, "RefusesBadFlags must fail the test")
			require.Contains(t, strings.Join(rec.failures, "\n"), tt.wantFailure, "the failure must name the case and what went wrong")
		})
	}
}

func TestDial(t *testing.T) {
	gs := grpc.NewServer()
	pb.RegisterKVServer(gs, pb.UnimplementedKVServer{})
	conn := Dial(t, gs)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pb.NewKVClient(conn).Range(ctx, &pb.RangeRequest{Key: []byte("k")})
	require.Equal(t, codes.Unimplemented, status.Code(err), "the call must reach gs, whose KV answers Unimplemented: %v", err)
}
