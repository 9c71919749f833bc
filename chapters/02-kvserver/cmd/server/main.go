package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/02-kvserver/etcdserver"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3rpc"
)

func main() { serve.Main(run) }

func run(args []string) error {
	fs := serve.FlagSet("Chapter 02-kvserver: kvServer -> EtcdServer -> MVCC on bbolt, one member.")
	name := fs.String("name", "default", "human-readable name for this member")
	dataDir := fs.String("data-dir", "default.etcdwalk", "path to the data directory")
	urls := serve.ClientURLFlags(fs)
	limits := serve.LimitFlags(fs)
	trace := fs.Bool("trace", false, "log every request's steps through the layers, with durations")
	if err := serve.Parse(fs, args, urls, limits); err != nil {
		return err
	}

	lg := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := etcdserver.NewServer(etcdserver.ServerConfig{
		Name: *name, DataDir: *dataDir, ClientURLs: urls.Advertised,
		Limits: limits.Limits,
	})
	if err != nil {
		return err
	}
	lns, err := serve.Listen(urls.Hosts)
	if err != nil {
		return errors.Join(err, s.Stop())
	}
	gs := v3rpc.Server(s, *trace, lg)
	lg.Info("serving client requests", "member", *name, "data-dir", *dataDir, "urls", urls.Listen, "revision", s.KV().Rev())
	fmt.Fprintf(os.Stderr, "ready: try  ETCDCTL_ENDPOINTS=%s etcdctl put foo bar\n", urls.Advertised[0])
	err = serve.Run(gs, lns, lg)
	return errors.Join(err, s.Stop())
}
