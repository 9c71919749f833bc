package main

import (
	"fmt"
	"log/slog"
	"os"

	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/01-rpc/server"
)

func main() { serve.Main(run) }

func run(args []string) error {
	fs := serve.FlagSet("Chapter 01-rpc: etcd's KV service over an in-memory map.")
	name := fs.String("name", "default", "human-readable name for this member")
	urls := serve.ClientURLFlags(fs)
	trace := fs.Bool("trace", false, "log every request's steps through the layers, with durations")
	if err := serve.Parse(fs, args, urls); err != nil {
		return err
	}

	lg := slog.New(slog.NewTextHandler(os.Stderr, nil))
	gs := server.NewGRPCServer(server.Config{
		Name: *name, ClientURLs: urls.Advertised, Trace: *trace, Logger: lg,
	})
	lns, err := serve.Listen(urls.Hosts)
	if err != nil {
		return err
	}
	lg.Info("serving client requests", "member", *name, "urls", urls.Listen)
	fmt.Fprintf(os.Stderr, "ready: try  ETCDCTL_ENDPOINTS=%s etcdctl put foo bar\n", urls.Advertised[0])
	return serve.Run(gs, lns, lg)
}
