package main

import (
	"errors"
	"etcdwalk/chapters/01-rpc/config"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/02-kvserver/etcdserver"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3rpc"
)

func main() { serve.Main(run) }

func run(args []string) error {
	fs := serve.FlagSet("Chapter 02-kvserver: kvServer -> EtcdServer -> MVCC on bbolt, one member.")
	name := fs.String("name", "default", "human-readable name for this member")
	dataDir := fs.String("data-dir", "default.etcdwalk", "path to the data directory")
	listen := fs.String("listen-client-urls", "http://localhost:2379", "comma-separated URLs to listen on for client traffic")
	advertise := fs.String("advertise-client-urls", "", "comma-separated client URLs to advertise to clients (default: --listen-client-urls)")
	quota := fs.Int64("quota-backend-bytes", 0, "refuse writes once the backend would grow past this many bytes (0: 2 GiB, negative: no quota)")
	maxTxnOps := fs.Uint("max-txn-ops", config.DefaultMaxTxnOps, "maximum number of operations permitted in a transaction")
	maxReqBytes := fs.Uint("max-request-bytes", config.DefaultMaxRequestBytes, "maximum client request size in bytes the server will accept")
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
	if *maxTxnOps == 0 {
		return errors.New("--max-txn-ops must be at least 1")
	}
	if *maxReqBytes == 0 {
		return errors.New("--max-request-bytes must be at least 1")
	}

	lg := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := etcdserver.NewServer(etcdserver.ServerConfig{
		Name: *name, DataDir: *dataDir, ClientURLs: strings.Split(adv, ","),
		Limits: config.Limits{MaxTxnOps: *maxTxnOps, MaxRequestBytes: *maxReqBytes, QuotaBackendBytes: *quota},
	})
	if err != nil {
		return err
	}
	lns, err := serve.Listen(hosts)
	if err != nil {
		return errors.Join(err, s.Stop())
	}
	gs := v3rpc.Server(s, *trace, lg)
	lg.Info("serving client requests", "member", *name, "data-dir", *dataDir, "urls", *listen, "revision", s.KV().Rev())
	fmt.Fprintf(os.Stderr, "ready: try  etcdctl --endpoints=%s put foo bar\n", strings.Split(adv, ",")[0])
	err = serve.Run(gs, lns, lg)
	return errors.Join(err, s.Stop())
}
