//go:build !(workshop_01 || workshop_range)

package server

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/etcdserver/api/v3rpc"
	"etcdwalk/chapters/01-rpc/etcdserver/txn"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
)

// Range answers a read: validate, read the store under its lock, fill the header. etcd splits this
// between kvServer.Range (v3rpc/key.go), EtcdServer.Range (v3_server.go) and executeRange
// (txn/txn.go). Workshop exercise "Range".
func (s *kvServer) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	if err := v3rpc.CheckRangeRequest(r); err != nil {
		return nil, err
	}
	trace := traceutil.Get(ctx)
	trace.Step("check range request")

	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	resp, err := executeRange(s.st, r)
	if err != nil {
		return nil, err
	}
	trace.Step("range over the in-memory store")
	s.hdr.fill(resp.Header, s.st.rev)
	return resp, nil
}

// executeRange reads st as r asks, for a plain Range and for a range inside a Txn alike, as etcd's
// executeRange does: the store's part here (which revision, which keys, how many), the rest in
// txn.SelectKVs. The caller holds st.mu.
func executeRange(st *memStore, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	// Only the newest revision exists (see memStore): a past one reads as compacted.
	switch {
	case r.Revision > st.rev:
		return nil, rpctypes.ErrGRPCFutureRev
	case r.Revision > 0 && r.Revision < st.rev:
		return nil, rpctypes.ErrGRPCCompacted
	}

	kvs := st.rangeKeys(r.Key, r.RangeEnd)
	// count is the size of the whole range, before the filters and the limit: etcd's index counts
	// every key of the range, however few it reads.
	resp := &pb.RangeResponse{Header: &pb.ResponseHeader{Revision: st.rev}, Count: int64(len(kvs))}
	if r.CountOnly {
		return resp, nil
	}
	// etcd's index hands over only the first FetchLimit keys, and only those are sorted: with a
	// sort target but no sort order, a limited range sorts its first limit+1 keys, not all of them.
	if n := txn.FetchLimit(r); n > 0 && int64(len(kvs)) > n {
		kvs = kvs[:n]
	}
	resp.Kvs, resp.More = txn.SelectKVs(r, kvs)
	return resp, nil
}
