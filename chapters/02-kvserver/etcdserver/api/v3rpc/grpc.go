package v3rpc

import (
	"context"
	"log/slog"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/storage"
	"etcdwalk/chapters/02-kvserver/storage/backend"

	"google.golang.org/grpc"
)

// RaftKV is what kvServer needs from the server below it (etcd's v3_server.go RaftKV). Chapter 02
// implements it by applying at once; chapter 03 by proposing through raft. It lives here, next to
// its only user, so that a later chapter's server implements it without linking chapter 02's.
type RaftKV interface {
	Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error)
	Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error)
	DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error)
	Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error)
	Compact(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error)
}

// Alarmer is what the quota and the Maintenance service need to know and change the alarms
// (etcd's v3rpc Alarmer). Chapter 02's server applies an AlarmRequest at once, chapter 03's
// proposes it through raft, so that every member applies it.
type Alarmer interface {
	// Alarms are the alarms raised now, as Status reports them.
	Alarms() []*pb.AlarmMember
	Alarm(ctx context.Context, r *pb.AlarmRequest) (*pb.AlarmResponse, error)
}

// ServerView is what the gRPC layer needs from an EtcdServer: chapter 02's applies requests
// directly, chapter 03's through raft, and both provide this.
type ServerView interface {
	RaftKV
	HeaderSource
	Alarmer
	// Limits are --max-txn-ops, --max-request-bytes and --quota-backend-bytes.
	Limits() config.Limits
	Backend() *backend.Backend
	Members() []*pb.Member
	// Status fills what a Status response says about the member's raft and backend.
	Status() *pb.StatusResponse
	// Defragment rewrites this member's backend without its free pages (etcd's Defrager); it is
	// local to the member, never a raft entry.
	Defragment() error
}

// Server returns a gRPC server with the KV (behind the quota), Cluster and Maintenance services of
// s registered, like etcd's v3rpc.Server. With trace set, every request's steps are logged to lg.
func Server(s ServerView, trace bool, lg *slog.Logger, opts ...grpc.ServerOption) *grpc.Server {
	l := s.Limits()
	opts = append([]grpc.ServerOption{
		grpc.MaxRecvMsgSize(l.MaxRecvMsgSize()),
		grpc.ForceServerCodecV2(newCodec(l.MaxTxnOps)),
	}, opts...)
	if l, ok := s.(Leaderer); ok {
		opts = append(opts, grpc.ChainUnaryInterceptor(requireLeader(l)))
	}
	if trace {
		opts = append(opts, grpc.ChainUnaryInterceptor(traceutil.UnaryServerInterceptor(lg)))
	}
	gs := grpc.NewServer(opts...)
	q := storage.NewBackendQuota(l.QuotaBackendBytes, s.Backend())
	pb.RegisterKVServer(gs, NewQuotaKVServer(NewKVServer(s, s, l.MaxTxnOps), q, s, s.MemberID()))
	pb.RegisterClusterServer(gs, &clusterServer{hdr: newHeader(s), s: s})
	pb.RegisterMaintenanceServer(gs, &maintenanceServer{hdr: newHeader(s), s: s})
	return gs
}

// Version is the etcd API version the server speaks, reported by Status.
const Version = "3.6.0"

type clusterServer struct {
	pb.UnimplementedClusterServer
	hdr header
	s   ServerView
}

// LinearizableReader is a member whose reads can wait until it has caught up with the leader
// (chapter 04's ReadIndex; etcd's EtcdServer.LinearizableReadNotify).
type LinearizableReader interface {
	LinearizableReadNotify(ctx context.Context) error
}

func (cs *clusterServer) MemberList(ctx context.Context, r *pb.MemberListRequest) (*pb.MemberListResponse, error) {
	// A linearizable member list (etcdctl's default, --consistency=l) waits for a read index first,
	// as etcd's EtcdServer.MemberList does; a member without one answers from what it knows.
	if lr, ok := cs.s.(LinearizableReader); ok && r.Linearizable {
		if err := lr.LinearizableReadNotify(ctx); err != nil {
			return nil, togRPCError(err)
		}
	}
	// etcd's cluster service stamps no revision: membership is not part of the key space.
	resp := &pb.MemberListResponse{Header: &pb.ResponseHeader{
		ClusterId: cs.hdr.clusterID, MemberId: cs.hdr.memberID, RaftTerm: cs.s.Term(),
	}, Members: cs.s.Members()}
	return resp, nil
}
