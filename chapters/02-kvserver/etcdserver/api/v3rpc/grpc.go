package v3rpc

import (
	"context"
	"log/slog"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/etcdserver"

	"google.golang.org/grpc"
)

// grpcOverheadBytes is the room etcd adds to --max-request-bytes for gRPC framing when it sets the
// gRPC server's receive limit.
const grpcOverheadBytes = 512 * 1024

// Server returns a gRPC server with the KV (behind the quota), Cluster and Maintenance services of
// s registered, like etcd's v3rpc.Server. With trace set, every request's steps are logged to lg.
func Server(s *etcdserver.EtcdServer, trace bool, lg *slog.Logger, opts ...grpc.ServerOption) *grpc.Server {
	opts = append([]grpc.ServerOption{grpc.MaxRecvMsgSize(int(s.Cfg.MaxRequestBytes) + grpcOverheadBytes)}, opts...)
	if trace {
		opts = append(opts, grpc.ChainUnaryInterceptor(traceutil.UnaryServerInterceptor(lg)))
	}
	gs := grpc.NewServer(opts...)
	hs := serverHeader{s}
	pb.RegisterKVServer(gs, NewQuotaKVServer(NewKVServer(hs, s, s.Cfg.MaxTxnOps), s.Backend(), s.Cfg.QuotaBackendBytes))
	pb.RegisterClusterServer(gs, &clusterServer{hdr: newHeader(hs), s: s})
	pb.RegisterMaintenanceServer(gs, &maintenanceServer{hdr: newHeader(hs), s: s})
	return gs
}

// serverHeader adapts EtcdServer to HeaderSource.
type serverHeader struct{ s *etcdserver.EtcdServer }

func (h serverHeader) ClusterID() uint64 { return h.s.ClusterID() }
func (h serverHeader) MemberID() uint64  { return h.s.MemberID() }
func (h serverHeader) Term() uint64      { return h.s.Term() }
func (h serverHeader) Rev() int64        { return h.s.KV().Rev() }

// Version is the etcd API version the server speaks, reported by Status.
const Version = "3.6.0"

type clusterServer struct {
	pb.UnimplementedClusterServer
	hdr header
	s   *etcdserver.EtcdServer
}

func (cs *clusterServer) MemberList(context.Context, *pb.MemberListRequest) (*pb.MemberListResponse, error) {
	resp := &pb.MemberListResponse{Header: &pb.ResponseHeader{}, Members: []*pb.Member{{
		ID: cs.s.MemberID(), Name: cs.s.Cfg.Name, ClientURLs: cs.s.Cfg.ClientURLs,
	}}}
	cs.hdr.fill(resp.Header)
	return resp, nil
}

type maintenanceServer struct {
	pb.UnimplementedMaintenanceServer
	hdr header
	s   *etcdserver.EtcdServer
}

func (ms *maintenanceServer) Status(context.Context, *pb.StatusRequest) (*pb.StatusResponse, error) {
	be := ms.s.Backend()
	resp := &pb.StatusResponse{
		Header:      &pb.ResponseHeader{},
		Version:     Version,
		DbSize:      be.Size(),
		DbSizeInUse: be.SizeInUse(),
		DbSizeQuota: max(ms.s.Cfg.QuotaBackendBytes, 0),
		Leader:      ms.s.MemberID(), // one member, no raft: it leads itself
	}
	ms.hdr.fill(resp.Header)
	return resp, nil
}
