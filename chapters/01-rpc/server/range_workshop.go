//go:build workshop

//etcdwalk:exercise name=Range tests=^TestRange

package server

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

// Range answers a read. Workshop exercise "Range": make `go test -tags workshop -run TestRange .`
// pass. The reference answer is range.go (built without the workshop tag); etcd's is kvServer.Range
// in server/etcdserver/api/v3rpc/key.go plus executeRange in server/etcdserver/txn/txn.go.
//
// TODO, in this order:
//  1. Validate r with checkRangeRequest and return its error as is: it is already etcd's gRPC
//     error (an empty key, an unknown sort order or target).
//  2. Lock s.st.mu for the rest of the request, so that no write lands halfway through the read.
//  3. Call executeRange(s.st, r) below and return its error as is.
//  4. Fill the header with s.hdr.fill(resp.Header, s.st.rev) and return resp.
//
// Optionally, record progress with traceutil.Get(ctx).Step("...") and run the server with --trace.
func (s *kvServer) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	return nil, todo("kvServer.Range")
}

// executeRange reads st as r asks. The caller holds st.mu.
//
// TODO, in this order:
//  1. Revisions: this store keeps only the newest revision, st.rev. A request for a later
//     revision gets rpctypes.ErrGRPCFutureRev; a request for an earlier one (r.Revision > 0 and
//     below st.rev) gets rpctypes.ErrGRPCCompacted, as etcd answers after a compaction.
//  2. kvs := st.rangeKeys(r.Key, r.RangeEnd) gives the pairs of the range in key order.
//  3. resp.Header.Revision is st.rev; resp.Count is len(kvs), counted before any filter or limit.
//     With r.CountOnly, return now, without kvs.
//  4. etcd reads only limit+1 keys when it can: if r.Limit > 0 and !needsWholeRange(r), keep at
//     most the first r.Limit+1 pairs now. Then apply filterKVs (the min/max mod/create revision
//     bounds), then sortKVs.
//  5. If r.Limit > 0 and more than r.Limit pairs remain, keep the first r.Limit and set resp.More.
//  6. With r.KeysOnly, clear each Value. Return resp with Kvs set.
func executeRange(st *memStore, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	return nil, todo("executeRange")
}
