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

// Run serves gs on lns until SIGINT or SIGTERM (or a listener fails), then stops gracefully,
// cutting off requests still running after 5 seconds.
func Run(gs *grpc.Server, lns []net.Listener, lg *slog.Logger) error {
	serveErr := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { serveErr <- gs.Serve(ln) }()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		gs.Stop()
		return err
	}
	lg.Info("shutting down")
	done := make(chan struct{})
	go func() { gs.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		gs.Stop()
	}
	return nil
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

// Parse parses args and refuses positional arguments: the servers take flags only.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	return nil
}
