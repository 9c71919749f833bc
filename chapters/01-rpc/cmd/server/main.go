package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/01-rpc/server"
)

func main() { serve.Main(run) }

func run(args []string) error {
	fs := serve.FlagSet("Chapter 01-rpc: etcd's KV service over an in-memory map.")
	name := fs.String("name", "default", "human-readable name for this member")
	listen := fs.String("listen-client-urls", "http://localhost:2379", "comma-separated URLs to listen on for client traffic")
	advertise := fs.String("advertise-client-urls", "", "comma-separated client URLs to advertise to clients (default: --listen-client-urls)")
	trace := fs.Bool("trace", false, "log every request's steps through the layers, with durations")
	if err := serve.Parse(fs, args); err != nil {
		return err
	}

	hosts, err := serve.ParseClientURLs(*listen)
	if err != nil {
		return fmt.Errorf("--listen-client-urls: %w", err)
	}
	adv := *listen
	if *advertise != "" {
		if _, err := serve.ParseClientURLs(*advertise); err != nil {
			return fmt.Errorf("--advertise-client-urls: %w", err)
		}
		adv = *advertise
	}

	lg := slog.New(slog.NewTextHandler(os.Stderr, nil))
	gs := server.NewGRPCServer(server.Config{
		Name: *name, ClientURLs: strings.Split(adv, ","), Trace: *trace, Logger: lg,
	})
	lns, err := serve.Listen(hosts)
	if err != nil {
		return err
	}
	lg.Info("serving client requests", "member", *name, "urls", *listen)
	fmt.Fprintf(os.Stderr, "ready: try  etcdctl --endpoints=%s put foo bar\n", strings.Split(adv, ",")[0])
	return serve.Run(gs, lns, lg)
}
