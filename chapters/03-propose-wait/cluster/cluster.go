package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3rpc"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/transport"

	"google.golang.org/grpc"
)

// Member is what the cluster runs and serves on one client URL: chapter 03's EtcdServer, or a
// later chapter's server built on it (chapter 04 adds ReadIndex).
type Member interface {
	v3rpc.ServerView
	Start()
	Stop() error
}

// NewMember builds one member on the cluster's network; the cluster starts it. It is the seam a
// later chapter's cluster plugs its server into (chapter 04's cmd/server passes its NewServer).
type NewMember[S Member] func(cfg etcdserver.ServerConfig, net transport.Joiner) (S, error)

// NewServer is chapter 03's member.
func NewServer(cfg etcdserver.ServerConfig, net transport.Joiner) (*etcdserver.EtcdServer, error) {
	return etcdserver.NewServer(cfg, net)
}

// Config describes the cluster: one member per client URL.
type Config struct {
	NamePrefix string   // members are <prefix>1, <prefix>2, ...
	ClientURLs []string // one per member
	DataDir    string   // parent of the members' data directories
	Trace      bool
	Logger     *slog.Logger
	// Server is the template of every member's configuration (limits, timing); Name, DataDir and
	// Members are filled in per member.
	Server etcdserver.ServerConfig
}

// Cluster is a running in-process cluster.
type Cluster[S Member] struct {
	Network *transport.Network
	Members []S
	// Configs are the members' configurations, in the order of Members.
	Configs  []etcdserver.ServerConfig
	grpcs    []*grpc.Server
	lns      []net.Listener
	serveErr chan error
	killed   map[int]bool
}

// Start creates every member with newMember, starts it and serves it. On error nothing is left
// running.
func Start[S Member](cfg Config, newMember NewMember[S]) (c *Cluster[S], err error) {
	hosts, err := serve.ParseClientURLs(joinComma(cfg.ClientURLs))
	if err != nil {
		return nil, err
	}
	if cfg.NamePrefix == "" {
		cfg.NamePrefix = "infra"
	}
	var members []membership.Member
	for i, u := range cfg.ClientURLs {
		// No peer URLs in this chapter: the client URL stands in for them in the ID.
		members = append(members, membership.Member{
			ID: membership.ComputeMemberID([]string{u}, "etcd-cluster"), Name: fmt.Sprintf("%s%d", cfg.NamePrefix, i+1), ClientURLs: []string{u},
		})
	}
	c = &Cluster[S]{Network: transport.NewNetwork()}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
			c = nil
		}
	}()
	for _, m := range members {
		sc := cfg.Server
		sc.Name, sc.DataDir, sc.Members = m.Name, filepath.Join(cfg.DataDir, m.Name), members
		s, err := newMember(sc, c.Network)
		if err != nil {
			return c, err
		}
		c.Members = append(c.Members, s)
		c.Configs = append(c.Configs, sc)
	}
	c.lns, err = serve.Listen(hosts)
	if err != nil {
		return c, err
	}
	c.serveErr = make(chan error, len(c.Members))
	for i, s := range c.Members {
		s.Start()
		gs := v3rpc.Server(s, cfg.Trace, cfg.Logger)
		c.grpcs = append(c.grpcs, gs)
		errc := serve.Serve(gs, c.lns[i:i+1])
		go func() {
			if err, ok := <-errc; ok && err != nil {
				c.serveErr <- err
			}
		}()
	}
	return c, nil
}

// ServeErrors yields the first error of any member's gRPC server: a listener that failed.
func (c *Cluster[S]) ServeErrors() <-chan error { return c.serveErr }

// GRPCServers returns the members' gRPC servers, for graceful shutdown.
func (c *Cluster[S]) GRPCServers() []*grpc.Server { return c.grpcs }

// Kill takes member i away as a crash of its process would: its gRPC server stops at once,
// dropping every connection and call, and the member stops. The others go on; the cluster's
// Stop skips it. It is the seam chapter 05's failover tests use to take away the member a client
// is talking to.
func (c *Cluster[S]) Kill(i int) error {
	if c.killed[i] {
		return nil
	}
	if c.killed == nil {
		c.killed = map[int]bool{}
	}
	c.killed[i] = true
	c.grpcs[i].Stop()
	c.lns[i].Close()
	return c.Members[i].Stop()
}

// Stop stops serving and stops every member.
func (c *Cluster[S]) Stop() error {
	for i, gs := range c.grpcs {
		if !c.killed[i] {
			gs.Stop()
		}
	}
	for i, ln := range c.lns {
		if !c.killed[i] {
			ln.Close()
		}
	}
	var errs []error
	for i, s := range c.Members {
		if !c.killed[i] {
			errs = append(errs, s.Stop())
		}
	}
	return errors.Join(errs...)
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}
