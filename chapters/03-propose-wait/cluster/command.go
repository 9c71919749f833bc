package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
)

// Command is a cmd/server that runs an in-process cluster: chapter 03's, and every later
// chapter's that keeps its members in one process.
type Command[S Member] struct {
	About     string // the first line of --help
	TempDir   string // the prefix of the data directory made when --data-dir is not given
	NewMember NewMember[S]
}

// Run parses etcd's flags from args, starts one member per client URL, and serves until SIGINT or
// SIGTERM.
func (cmd Command[S]) Run(args []string) error {
	fs := serve.FlagSet(cmd.About)
	name := fs.String("name", "infra", "name prefix of the members: <name>1, <name>2, ...")
	dataDir := fs.String("data-dir", "", "parent directory of the members' data directories (default: a temporary directory, removed at exit)")
	listen := fs.String("listen-client-urls", "http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379",
		"comma-separated client URLs, one per member: their number is the cluster size")
	heartbeat := fs.Uint("heartbeat-interval", 100, "time (in milliseconds) of a heartbeat interval")
	election := fs.Uint("election-timeout", 1000, "time (in milliseconds) for an election to timeout")
	limits := serve.LimitFlags(fs)
	trace := fs.Bool("trace", false, "log every request's steps through the layers, with durations")
	if err := serve.Parse(fs, args, limits); err != nil {
		return err
	}
	if *heartbeat == 0 || *election < 5**heartbeat {
		return fmt.Errorf("--election-timeout (%d) must be at least 5 times --heartbeat-interval (%d)", *election, *heartbeat)
	}
	if _, err := serve.ParseClientURLs(*listen); err != nil {
		return fmt.Errorf("--listen-client-urls: %w", err)
	}
	if *dataDir == "" {
		// The members cannot restart from their data anyway (raft's log is in memory), so by
		// default nothing is kept.
		tmp, err := os.MkdirTemp("", cmd.TempDir)
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dataDir = tmp
	}

	lg := slog.New(slog.NewTextHandler(os.Stderr, nil))
	urls := strings.Split(*listen, ",")
	c, err := Start(Config{
		NamePrefix: *name, ClientURLs: urls, DataDir: *dataDir, Trace: *trace, Logger: lg,
		Server: etcdserver.ServerConfig{
			TickMs: *heartbeat, ElectionTicks: int(*election / *heartbeat), Limits: limits.Limits, Logger: lg,
		},
	}, cmd.NewMember)
	if err != nil {
		return err
	}
	for i, m := range c.Members {
		lg.Info("member serving", "name", c.Configs[i].Name, "id", fmt.Sprintf("%x", m.MemberID()), "url", urls[i], "data-dir", c.Configs[i].DataDir)
	}
	fmt.Fprintf(os.Stderr, "ready: try  ETCDCTL_ENDPOINTS=%s etcdctl put foo bar\n", *listen)
	err = serve.UntilSignal(lg, c.ServeErrors(), c.GRPCServers()...)
	return errors.Join(err, c.Stop())
}
