package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
)

// ParseClientURLs checks a comma-separated list of http URLs, as etcd's --listen-client-urls takes
// them, and returns their host:port.
func ParseClientURLs(s string) ([]string, error) {
	var hosts []string
	for _, raw := range strings.Split(s, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			return nil, err
		}
		if u.Scheme != "http" {
			return nil, fmt.Errorf("%q: only http:// URLs are supported (no TLS in etcdwalk)", raw)
		}
		if u.Port() == "" {
			return nil, fmt.Errorf("%q: a port is required, e.g. http://localhost:2379", raw)
		}
		if u.Path != "" && u.Path != "/" {
			return nil, fmt.Errorf("%q: a client URL has no path", raw)
		}
		hosts = append(hosts, u.Host)
	}
	return hosts, nil
}

// ClientURLs are etcd's --listen-client-urls and --advertise-client-urls flags. Listen and
// Advertise are the flags as given; Parse fills Hosts and Advertised from them.
type ClientURLs struct {
	Listen, Advertise string
	// Hosts is the host:port of each listen URL.
	Hosts []string
	// Advertised are the URLs the member reports to clients (in member list) and derives its ID
	// from: --advertise-client-urls, or the listen URLs when it is not set.
	Advertised []string
}

// ClientURLFlags defines --listen-client-urls, with etcd's default http://localhost:2379, and
// --advertise-client-urls on fs. Pass the result to Parse.
func ClientURLFlags(fs *flag.FlagSet) *ClientURLs {
	u := &ClientURLs{}
	fs.StringVar(&u.Listen, "listen-client-urls", "http://localhost:2379", "comma-separated URLs to listen on for client traffic")
	fs.StringVar(&u.Advertise, "advertise-client-urls", "", "comma-separated client URLs to advertise to clients (default: --listen-client-urls)")
	return u
}

// Check checks both lists of URLs and fills Hosts and Advertised.
func (u *ClientURLs) Check() error {
	hosts, err := ParseClientURLs(u.Listen)
	if err != nil {
		return fmt.Errorf("--listen-client-urls: %w", err)
	}
	adv := u.Listen
	if u.Advertise != "" {
		if _, err := ParseClientURLs(u.Advertise); err != nil {
			return fmt.Errorf("--advertise-client-urls: %w", err)
		}
		adv = u.Advertise
	}
	u.Hosts, u.Advertised = hosts, strings.Split(adv, ",")
	return nil
}

// Listen opens a listener on every host; on failure it closes those it opened.
func Listen(hosts []string) ([]net.Listener, error) {
	var lns []net.Listener
	for _, h := range hosts {
		ln, err := net.Listen("tcp", h)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("listen on %s: %w", h, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// Serve serves gs on every listener, each in a goroutine of its own. The channel yields the first
// error a Serve call returns, and is closed once every Serve call has returned: after a Stop or
// GracefulStop, which make Serve return nil, a receive gives nil.
func Serve(gs *grpc.Server, lns []net.Listener) <-chan error {
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Go(func() {
			if err := gs.Serve(ln); err != nil {
				select {
				case errc <- err:
				default: // an earlier error is waiting already, and it is the one that counts
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(errc)
	}()
	return errc
}

// shutdownGrace is how long a stopping server waits for requests still running before it cuts
// them off. etcd's embed.Etcd.Close does the same in stopServers: GracefulStop, then Stop once its
// request timeout has passed, because a stream such as a watch may never end by itself.
const shutdownGrace = 5 * time.Second

// UntilSignal blocks until the process gets SIGINT or SIGTERM, or serveErr yields (serveErr may be
// nil: then only a signal ends the wait). It then stops every server in gss gracefully: each stops
// accepting, lets the requests in flight finish, and cuts off those still running after 5 seconds.
// It returns what serveErr yielded, or nil after a signal.
func UntilSignal(lg *slog.Logger, serveErr <-chan error, gss ...*grpc.Server) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return untilDone(ctx, lg, serveErr, shutdownGrace, gss)
}

// untilDone is UntilSignal with the signal as a context and the grace period as a parameter, so
// that tests neither send signals nor wait 5 seconds.
func untilDone(ctx context.Context, lg *slog.Logger, serveErr <-chan error, grace time.Duration, gss []*grpc.Server) error {
	var err error
	select {
	case <-ctx.Done():
		lg.Info("shutting down")
	case err = <-serveErr:
		lg.Info("shutting down", "serve-error", err)
	}
	var stopping sync.WaitGroup
	for _, gs := range gss {
		stopping.Go(gs.GracefulStop)
	}
	stopped := make(chan struct{})
	go func() {
		stopping.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(grace):
		for _, gs := range gss {
			gs.Stop() // ends the requests still running, and with them the GracefulStop calls
		}
		<-stopped
	}
	return err
}

// Run serves gs on lns until SIGINT or SIGTERM, or until serving fails, then stops it gracefully:
// the whole life of a one-server process.
func Run(gs *grpc.Server, lns []net.Listener, lg *slog.Logger) error {
	return UntilSignal(lg, Serve(gs, lns), gs)
}

// Main runs a command's run function with the command-line arguments and exits non-zero with its
// error; --help is not an error.
func Main(run func(args []string) error) {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// FlagSet returns the flag set of a chapter's server, whose --help starts with summary.
func FlagSet(summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: server [flags]\n\n%s\n\nFlags:\n", summary)
		fs.PrintDefaults()
	}
	return fs
}

// FlagGroup is a set of flags defined together (ClientURLFlags, LimitFlags) whose values Parse
// checks once they are parsed.
type FlagGroup interface{ Check() error }

// Parse parses args and refuses positional arguments: the servers take flags only. It then checks
// each group, which flag parsing alone does not.
func Parse(fs *flag.FlagSet, args []string, groups ...FlagGroup) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	for _, g := range groups {
		if err := g.Check(); err != nil {
			return err
		}
	}
	return nil
}
