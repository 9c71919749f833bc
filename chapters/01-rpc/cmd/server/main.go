package main

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

	"etcdwalk/chapters/01-rpc/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: server [flags]\n\nChapter 01-rpc: etcd's KV service over an in-memory map.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	name := fs.String("name", "default", "human-readable name for this member")
	listen := fs.String("listen-client-urls", "http://localhost:2379", "comma-separated URLs to listen on for client traffic")
	advertise := fs.String("advertise-client-urls", "", "comma-separated client URLs to advertise to clients (default: --listen-client-urls)")
	trace := fs.Bool("trace", false, "log every request's steps through the layers, with durations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}

	hosts, err := parseClientURLs(*listen)
	if err != nil {
		return fmt.Errorf("--listen-client-urls: %w", err)
	}
	adv := *listen
	if *advertise != "" {
		if _, err := parseClientURLs(*advertise); err != nil {
			return fmt.Errorf("--advertise-client-urls: %w", err)
		}
		adv = *advertise
	}

	lg := slog.New(slog.NewTextHandler(os.Stderr, nil))
	gs := server.NewGRPCServer(server.Config{
		Name: *name, ClientURLs: strings.Split(adv, ","), Trace: *trace, Logger: lg,
	})

	var lns []net.Listener
	for _, h := range hosts {
		ln, err := net.Listen("tcp", h)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("listen on %s: %w", h, err)
		}
		lns = append(lns, ln)
	}
	serveErr := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { serveErr <- gs.Serve(ln) }()
	}
	lg.Info("serving client requests", "member", *name, "urls", *listen)
	fmt.Fprintf(os.Stderr, "ready: try  etcdctl --endpoints=%s put foo bar\n", strings.Split(adv, ",")[0])

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
		gs.Stop() // in-flight RPCs that do not finish in time are cut off
	}
	return nil
}

// parseClientURLs checks a comma-separated list of http URLs and returns their host:port.
func parseClientURLs(s string) ([]string, error) {
	var hosts []string
	for _, raw := range strings.Split(s, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			return nil, err
		}
		if u.Scheme != "http" {
			return nil, fmt.Errorf("%q: only http:// URLs are supported (no TLS in this chapter)", raw)
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
