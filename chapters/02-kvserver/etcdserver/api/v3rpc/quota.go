package v3rpc

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
)

// kvOverhead is what etcd charges a put beyond its key and value (storage/quota.go).
const kvOverhead = 256

// Sizer reports the backend's size, the figure the quota is checked against.
type Sizer interface{ Size() int64 }

// quotaKVServer refuses a Put or Txn that could grow the backend past the quota (etcd's
// quotaKVServer and BackendQuota). etcd also raises the NOSPACE alarm, which then refuses every
// write until an operator disarms it; this chapter has no alarms, so it refuses only the requests
// that do not fit.
type quotaKVServer struct {
	pb.KVServer
	be    Sizer
	quota int64 // <= 0: no quota
}

// NewQuotaKVServer wraps kv with the space quota.
func NewQuotaKVServer(kv pb.KVServer, be Sizer, quotaBytes int64) pb.KVServer {
	return &quotaKVServer{KVServer: kv, be: be, quota: quotaBytes}
}

func (s *quotaKVServer) available(cost int) bool {
	return s.quota <= 0 || cost == 0 || s.be.Size()+int64(cost) < s.quota
}

func (s *quotaKVServer) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	if !s.available(costPut(r)) {
		return nil, rpctypes.ErrGRPCNoSpace
	}
	return s.KVServer.Put(ctx, r)
}

func (s *quotaKVServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	if !s.available(costTxn(r)) {
		return nil, rpctypes.ErrGRPCNoSpace
	}
	return s.KVServer.Txn(ctx, r)
}

func costPut(r *pb.PutRequest) int { return kvOverhead + len(r.Key) + len(r.Value) }

// costTxn is the cost of the costlier branch: only one of them runs.
func costTxn(r *pb.TxnRequest) int {
	branch := func(ops []*pb.RequestOp) (n int) {
		for _, op := range ops {
			if p := op.GetRequestPut(); p != nil {
				n += costPut(p)
			} else if t := op.GetRequestTxn(); t != nil {
				n += costTxn(t)
			}
		}
		return n
	}
	return max(branch(r.Success), branch(r.Failure))
}
