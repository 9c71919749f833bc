package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

func TestParseClientURLs(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "http://localhost:2379", want: []string{"localhost:2379"}},
		{in: "http://127.0.0.1:2379,http://127.0.0.1:22379", want: []string{"127.0.0.1:2379", "127.0.0.1:22379"}},
		{in: "https://localhost:2379", wantErr: "only http:// URLs"},
		{in: "http://localhost", wantErr: "a port is required"},
		{in: "http://localhost:2379/v3", wantErr: "no path"},
		{in: "localhost:2379", wantErr: "only http:// URLs"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseClientURLs(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestClientURLFlags(t *testing.T) {
	tests := []struct {
		name           string
		args           []string
		wantHosts      []string
		wantAdvertised []string
		wantErr        string
	}{
		{"etcd's default", nil, []string{"localhost:2379"}, []string{"http://localhost:2379"}, ""},
		{"the listen URLs are advertised by default", []string{"--listen-client-urls", "http://127.0.0.1:1,http://127.0.0.1:2"},
			[]string{"127.0.0.1:1", "127.0.0.1:2"}, []string{"http://127.0.0.1:1", "http://127.0.0.1:2"}, ""},
		{"advertised URLs of their own", []string{"--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://10.0.0.1:2379"},
			[]string{"0.0.0.0:2379"}, []string{"http://10.0.0.1:2379"}, ""},
		{"a bad listen URL names its flag", []string{"--listen-client-urls", "https://x:1"}, nil, nil, "--listen-client-urls: "},
		{"a bad advertised URL names its flag", []string{"--advertise-client-urls", "x"}, nil, nil, "--advertise-client-urls: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := FlagSet("a test server")
			urls := ClientURLFlags(fs)
			err := Parse(fs, tt.args, urls)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr, "the error must say which flag is wrong")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantHosts, urls.Hosts, "the host:port to listen on")
			require.Equal(t, tt.wantAdvertised, urls.Advertised, "the URLs member list reports")
		})
	}
}

var quiet = slog.New(slog.DiscardHandler)

// within runs stop, a call of UntilSignal, and fails the test if it has not returned after 10s.
func within(t *testing.T, why string, stop func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- stop() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("UntilSignal has not returned after 10s: %s", why)
		return nil
	}
}

// failingListener fails every Accept, as a listener whose socket broke does.
type failingListener struct {
	net.Listener
	err error
}

func (l failingListener) Accept() (net.Conn, error) { return nil, l.err }
func (l failingListener) Close() error              { return nil }

func TestServeErrorEndsUntilSignal(t *testing.T) {
	gs := grpc.NewServer()
	boom := errors.New("accept: the socket broke")
	serveErr := Serve(gs, []net.Listener{bufconn.Listen(1 << 10), failingListener{bufconn.Listen(1 << 10), boom}})

	err := within(t, "an error from Serve must end it", func() error { return UntilSignal(quiet, serveErr, gs) })
	require.ErrorIs(t, err, boom, "UntilSignal must return the error that ended serving")
	for range serveErr { // closed once every Serve has returned: the healthy listener's too
	}
	require.ErrorIs(t, gs.Serve(bufconn.Listen(1<<10)), grpc.ErrServerStopped, "UntilSignal must stop the server it was given")
}

// blockingKV's Range tells started that it runs, then waits for release (or for its call to be
// cut off).
type blockingKV struct {
	pb.UnimplementedKVServer
	started chan struct{}
	release chan struct{}
}

func (b *blockingKV) Range(ctx context.Context, _ *pb.RangeRequest) (*pb.RangeResponse, error) {
	close(b.started)
	select {
	case <-b.release:
		return &pb.RangeResponse{}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// inFlight serves a blockingKV and starts a Range on it; the Range's result arrives on the
// returned channel once it ends.
func inFlight(t *testing.T) (*grpc.Server, <-chan error, *blockingKV, <-chan error) {
	b := &blockingKV{started: make(chan struct{}), release: make(chan struct{})}
	gs := grpc.NewServer()
	pb.RegisterKVServer(gs, b)
	lis := bufconn.Listen(1 << 20)
	serveErr := Serve(gs, []net.Listener{lis})
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	callErr := make(chan error, 1)
	go func() {
		_, err := pb.NewKVClient(conn).Range(context.Background(), &pb.RangeRequest{Key: []byte("k")})
		callErr <- err
	}()
	<-b.started
	return gs, serveErr, b, callErr
}

func TestGracefulStopWaitsForTheCallInFlight(t *testing.T) {
	gs, serveErr, b, callErr := inFlight(t)
	signalled, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- untilDone(signalled, quiet, serveErr, time.Minute, []*grpc.Server{gs}) }()

	select {
	case err := <-done:
		t.Fatalf("UntilSignal returned (%v) while a call was still running: a graceful stop waits for it", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(b.release)
	require.NoError(t, <-callErr, "the call in flight when the signal came must complete")
	require.NoError(t, <-done, "a stop after a signal is not an error")
	for range serveErr {
	}
}

func TestStopCutsOffCallsAfterTheGracePeriod(t *testing.T) {
	gs, serveErr, _, callErr := inFlight(t)
	signalled, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, within(t, "a call that never ends must not hold up the stop past the grace period", func() error {
		return untilDone(signalled, quiet, serveErr, 50*time.Millisecond, []*grpc.Server{gs})
	}))
	err := <-callErr
	require.Error(t, err, "the call still running after the grace period is cut off")
	require.Contains(t, []codes.Code{codes.Unavailable, codes.Canceled}, status.Code(err), "a cut-off call fails as a lost connection does: %v", err)
	for range serveErr {
	}
}

func TestRunServesUntilSIGTERM(t *testing.T) {
	// Until Run installs its own handler, SIGTERM lands here instead of ending the test binary.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM)
	defer signal.Stop(sigs)

	gs := grpc.NewServer()
	pb.RegisterKVServer(gs, pb.UnimplementedKVServer{})
	lis := bufconn.Listen(1 << 20)
	done := make(chan error, 1)
	go func() { done <- Run(gs, []net.Listener{lis}, quiet) }()

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	_, err = pb.NewKVClient(conn).Range(context.Background(), &pb.RangeRequest{Key: []byte("k")})
	require.Equal(t, codes.Unimplemented, status.Code(err), "Run must serve gs on the listener: %v", err)

	deadline := time.After(10 * time.Second)
	for {
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
		select {
		case err := <-done:
			require.NoError(t, err, "a stop on SIGTERM is not an error")
			time.Sleep(50 * time.Millisecond) // let the last signal reach sigs before signal.Stop
			return
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("Run is still serving 10s after the first SIGTERM: it must stop on SIGTERM")
		}
	}
}

// TestMain fails the package if a test leaves a goroutine behind, e.g. a Serve that never returned.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
