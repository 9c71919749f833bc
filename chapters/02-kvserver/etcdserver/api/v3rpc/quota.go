package v3rpc

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/02-kvserver/storage"

	"google.golang.org/protobuf/proto"
)

// quotaKVServer refuses a Put or Txn that could grow the backend past the quota, and raises the
// NOSPACE alarm when it does (etcd's quotaKVServer). From then on the applier refuses every put,
// even one that would fit, until an operator makes room (delete, compact, defragment) and disarms
// the alarm: a store at its quota stops growing instead of filling up to the last byte.
type quotaKVServer struct {
	pb.KVServer
	qa quotaAlarmer
}

// quotaAlarmer is the check both writes share (etcd's quotaAlarmer).
type quotaAlarmer struct {
	q  storage.Quota
	a  Alarmer
	id uint64 // this member, the one whose alarm is raised
}

// check lets r through if it fits. If not, it raises NOSPACE for this member and refuses r. The
// alarm's own error is not the client's concern: it gets "database space exceeded" either way, as
// from etcd, which ignores that error too.
func (qa *quotaAlarmer) check(ctx context.Context, r proto.Message) error {
	if qa.q.Available(r) {
		return nil
	}
	_, _ = qa.a.Alarm(ctx, &pb.AlarmRequest{MemberID: qa.id, Action: pb.AlarmRequest_ACTIVATE, Alarm: pb.AlarmType_NOSPACE})
	return rpctypes.ErrGRPCNoSpace
}

// NewQuotaKVServer wraps kv with the space quota q; a refused write raises member id's NOSPACE
// alarm through a.
func NewQuotaKVServer(kv pb.KVServer, q storage.Quota, a Alarmer, id uint64) pb.KVServer {
	return &quotaKVServer{KVServer: kv, qa: quotaAlarmer{q: q, a: a, id: id}}
}

func (s *quotaKVServer) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	if err := s.qa.check(ctx, r); err != nil {
		return nil, err
	}
	return s.KVServer.Put(ctx, r)
}

func (s *quotaKVServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	if err := s.qa.check(ctx, r); err != nil {
		return nil, err
	}
	return s.KVServer.Txn(ctx, r)
}
