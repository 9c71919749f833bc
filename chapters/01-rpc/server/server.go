package server

import (
	"log/slog"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"

	"google.golang.org/grpc"
)

// Config is what the server needs to know about itself.
type Config struct {
	// Name is the member's human-readable name (etcd's --name), shown by MemberList.
	Name string
	// ClientURLs are the URLs clients reach the member at (etcd's --advertise-client-urls).
	ClientURLs []string
	// Trace logs every request's steps and durations to Logger (--trace).
	Trace  bool
	Logger *slog.Logger
}

// NewGRPCServer returns a gRPC server with chapter 01's KV, Cluster and Maintenance services
// registered over one fresh in-memory store, like etcd's v3rpc.Server registers its services on
// the grpc.Server it builds. The caller serves it on listeners and stops it.
func NewGRPCServer(cfg Config, opts ...grpc.ServerOption) *grpc.Server {
	if cfg.Name == "" {
		cfg.Name = "default"
	}
	// With no peers, the client URLs stand in for the peer URLs.
	mid := membership.ComputeMemberID(cfg.ClientURLs, "etcd-cluster")
	hdr := header{clusterID: membership.ComputeClusterID([]uint64{mid}), memberID: mid}
	st := newMemStore()

	if cfg.Trace {
		lg := cfg.Logger
		if lg == nil {
			lg = slog.Default()
		}
		opts = append(opts, grpc.ChainUnaryInterceptor(traceutil.UnaryServerInterceptor(lg)))
	}
	// etcd's gRPC receive limit for its default --max-request-bytes: a larger message is refused
	// by gRPC itself, with the same error as from etcd.
	opts = append([]grpc.ServerOption{grpc.MaxRecvMsgSize(config.Limits{}.WithDefaults().MaxRecvMsgSize())}, opts...)
	gs := grpc.NewServer(opts...)
	pb.RegisterKVServer(gs, newKVServer(hdr, st))
	pb.RegisterClusterServer(gs, &clusterServer{hdr: hdr, st: st, member: &pb.Member{
		ID: mid, Name: cfg.Name, ClientURLs: cfg.ClientURLs,
	}})
	pb.RegisterMaintenanceServer(gs, &maintenanceServer{hdr: hdr, st: st})
	return gs
}
