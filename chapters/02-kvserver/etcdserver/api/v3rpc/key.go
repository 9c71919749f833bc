package v3rpc

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	v3rpc01 "etcdwalk/chapters/01-rpc/etcdserver/api/v3rpc"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
)

// kvServer implements pb.KVServer the way etcd's does: validate, delegate to RaftKV, convert the
// error, fill the header. All policy lives below it. The validations are chapter 01's (v3rpc01,
// etcd's check*Request), so every chapter refuses the same requests; this chapter adds
// checkIntervals for nested txns.
type kvServer struct {
	pb.UnimplementedKVServer
	hdr       header
	kv        RaftKV
	maxTxnOps int
}

// NewKVServer returns the KV service over kv, stamping headers from hs.
func NewKVServer(hs HeaderSource, kv RaftKV, maxTxnOps uint) pb.KVServer {
	return &kvServer{hdr: newHeader(hs), kv: kv, maxTxnOps: int(maxTxnOps)}
}

func (s *kvServer) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	if err := v3rpc01.CheckRangeRequest(r); err != nil {
		return nil, err
	}
	traceutil.Get(ctx).Step("check range request")
	resp, err := s.kv.Range(ctx, r)
	if err != nil {
		return nil, togRPCError(err)
	}
	s.hdr.fill(resp.Header)
	return resp, nil
}

func (s *kvServer) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	if err := v3rpc01.CheckPutRequest(r); err != nil {
		return nil, err
	}
	traceutil.Get(ctx).Step("check put request")
	resp, err := s.kv.Put(ctx, r)
	if err != nil {
		return nil, togRPCError(err)
	}
	s.hdr.fill(resp.Header)
	return resp, nil
}

func (s *kvServer) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	if err := v3rpc01.CheckDeleteRequest(r); err != nil {
		return nil, err
	}
	resp, err := s.kv.DeleteRange(ctx, r)
	if err != nil {
		return nil, togRPCError(err)
	}
	s.hdr.fill(resp.Header)
	return resp, nil
}

func (s *kvServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	if err := v3rpc01.CheckTxnRequest(r, s.maxTxnOps); err != nil {
		return nil, err
	}
	if _, _, err := checkIntervals(r.Success); err != nil {
		return nil, err
	}
	if _, _, err := checkIntervals(r.Failure); err != nil {
		return nil, err
	}
	traceutil.Get(ctx).Step("check txn request")
	resp, err := s.kv.Txn(ctx, r)
	if err != nil {
		return nil, togRPCError(err)
	}
	s.hdr.fill(resp.Header)
	return resp, nil
}

func (s *kvServer) Compact(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	resp, err := s.kv.Compact(ctx, r)
	if err != nil {
		return nil, togRPCError(err)
	}
	s.hdr.fill(resp.Header)
	return resp, nil
}
