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
type Cluster struct {
	Network  *transport.Network
	Members  []*etcdserver.EtcdServer
	grpcs    []*grpc.Server
	lns      []net.Listener
	serveErr chan error
}

// Start creates, starts and serves every member. On error nothing is left running.
func Start(cfg Config) (c *Cluster, err error) {
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
	c = &Cluster{Network: transport.NewNetwork()}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
			c = nil
		}
	}()
	for _, m := range members {
		sc := cfg.Server
		sc.Name, sc.DataDir, sc.Members = m.Name, filepath.Join(cfg.DataDir, m.Name), members
		s, err := etcdserver.NewServer(sc, c.Network)
		if err != nil {
			return c, err
		}
		c.Members = append(c.Members, s)
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
func (c *Cluster) ServeErrors() <-chan error { return c.serveErr }

// GRPCServers returns the members' gRPC servers, for graceful shutdown.
func (c *Cluster) GRPCServers() []*grpc.Server { return c.grpcs }

// Stop stops serving and stops every member.
func (c *Cluster) Stop() error {
	for _, gs := range c.grpcs {
		gs.Stop()
	}
	for _, ln := range c.lns {
		ln.Close()
	}
	var errs []error
	for _, s := range c.Members {
		errs = append(errs, s.Stop())
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
