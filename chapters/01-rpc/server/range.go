//go:build !workshop

package server

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
)

// Range answers a read: validate, pick the revision, select the keys, filter, sort, limit, and fill
// the header. etcd splits this between kvServer.Range (v3rpc/key.go) and executeRange
// (etcdserver/txn/txn.go); in this chapter it is one function. Workshop exercise "Range".
func (s *kvServer) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	if err := checkRangeRequest(r); err != nil {
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

// executeRange reads st as r asks, for a plain Range and for a range inside a Txn alike.
// The caller holds st.mu.
func executeRange(st *memStore, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	// Only the newest revision exists (see memStore): a past one reads as compacted.
	switch {
	case r.Revision > st.rev:
		return nil, rpctypes.ErrGRPCFutureRev
	case r.Revision > 0 && r.Revision < st.rev:
		return nil, rpctypes.ErrGRPCCompacted
	}

	kvs := st.rangeKeys(r.Key, r.RangeEnd)
	// count is the size of the whole range, before the filters and the limit: etcd counts first.
	resp := &pb.RangeResponse{Header: &pb.ResponseHeader{Revision: st.rev}, Count: int64(len(kvs))}
	if r.CountOnly {
		return resp, nil
	}

	// etcd reads at most limit+1 keys (in key order) from its index unless it must see the whole
	// range first, to sort it or to filter it; only then does it sort. With a sort target but no
	// sort order, that means sorting only the first limit+1 keys.
	if r.Limit > 0 && !needsWholeRange(r) && int64(len(kvs)) > r.Limit+1 {
		kvs = kvs[:r.Limit+1]
	}
	kvs = filterKVs(kvs, r)
	sortKVs(kvs, r.SortOrder, r.SortTarget)
	if r.Limit > 0 && int64(len(kvs)) > r.Limit {
		kvs, resp.More = kvs[:r.Limit], true
	}
	if r.KeysOnly {
		for _, kv := range kvs {
			kv.Value = nil
		}
	}
	resp.Kvs = kvs
	return resp, nil
}
