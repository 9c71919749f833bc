package etcdserver

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/etcdserver/txn"
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"
)

// Range reads the local store, after the linearizable-read barrier if one was given
// (WithLinearizableReadNotify) and the read is not serializable. Without it a follower cut off
// from the leader keeps answering from what it has applied, which may be stale: chapter 04's
// ReadIndex closes that gap.
func (s *EtcdServer) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	if !r.Serializable && s.readNotify != nil {
		if err := s.readNotify(ctx); err != nil {
			return nil, err
		}
		traceutil.Get(ctx).Step("agreement among raft nodes before linearized reading")
	}
	return txn.Range(ctx, s.kv, r)
}

func (s *EtcdServer) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	res, err := s.raftRequest(ctx, &irpb.InternalRaftRequest{Put: r})
	if err != nil {
		return nil, err
	}
	return res.resp.(*pb.PutResponse), nil
}

func (s *EtcdServer) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	res, err := s.raftRequest(ctx, &irpb.InternalRaftRequest{DeleteRange: r})
	if err != nil {
		return nil, err
	}
	return res.resp.(*pb.DeleteRangeResponse), nil
}

// Txn goes through raft unless it cannot write: a read-only txn is a read, served locally as
// Range is (etcd's v3_server.go does the same).
func (s *EtcdServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	if txn.IsTxnReadonly(r) {
		if s.readNotify != nil && !isTxnSerializable(r) {
			if err := s.readNotify(ctx); err != nil {
				return nil, err
			}
			traceutil.Get(ctx).Step("agreement among raft nodes before linearized reading")
		}
		return txn.Txn(ctx, s.kv, r)
	}
	res, err := s.raftRequest(ctx, &irpb.InternalRaftRequest{Txn: r})
	if err != nil {
		return nil, err
	}
	return res.resp.(*pb.TxnResponse), nil
}

func isTxnSerializable(r *pb.TxnRequest) bool {
	for _, ops := range [][]*pb.RequestOp{r.Success, r.Failure} {
		for _, op := range ops {
			if rr := op.GetRequestRange(); rr == nil || !rr.Serializable {
				return false
			}
		}
	}
	return true
}

func (s *EtcdServer) Compact(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	res, err := s.raftRequest(ctx, &irpb.InternalRaftRequest{Compaction: r})
	if err != nil {
		return nil, err
	}
	if r.Physical && res.physc != nil {
		select {
		case <-res.physc:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	resp := res.resp.(*pb.CompactionResponse)
	resp.Header.Revision = s.kv.Rev()
	return resp, nil
}

// Alarm lists, raises or clears alarms through raft (etcd's EtcdServer.Alarm): every member
// applies the change, so that every member caps its applier, and a list shows what the cluster
// agreed on, in log order.
func (s *EtcdServer) Alarm(ctx context.Context, r *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	res, err := s.raftRequest(ctx, &irpb.InternalRaftRequest{Alarm: r})
	if err != nil {
		return nil, err
	}
	return res.resp.(*pb.AlarmResponse), nil
}

// raftRequest proposes r and returns its applied result, or the error the apply produced.
func (s *EtcdServer) raftRequest(ctx context.Context, r *irpb.InternalRaftRequest) (*applyResult, error) {
	res, err := s.processInternalRaftRequestOnce(ctx, r)
	if err != nil {
		return nil, err
	}
	if res.err != nil {
		return nil, res.err
	}
	return res, nil
}
