//go:build workshop_01 || workshop_range

//etcdwalk:exercise name=Range tag=workshop_range tests=^Test(Range|TxnRange)

package server

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

// Range answers a read. Workshop exercise "Range": make
// `go test -tags workshop_range -run TestRange ./server/` pass. The reference answer is range.go
// (built without the tag); etcd's is kvServer.Range in server/etcdserver/api/v3rpc/key.go plus
// executeRange in server/etcdserver/txn/txn.go.
//
// TODO, in this order:
//  1. Validate r with v3rpc.CheckRangeRequest (etcdserver/api/v3rpc) and return its error as is:
//     it is already etcd's gRPC error (an empty key, an unknown sort order or target).
//  2. Lock s.st.mu for the rest of the request, so that no write lands halfway through the read.
//  3. Call executeRange(s.st, r) below and return its error as is.
//  4. Fill the header with s.hdr.fill(resp.Header, s.st.rev) and return resp.
//
// Optionally, record progress with traceutil.Get(ctx).Step("...") and run the server with --trace.
func (s *kvServer) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	return nil, todo("kvServer.Range")
}

// executeRange reads st as r asks. The caller holds st.mu. It does the store's part of a range;
// what does not depend on the store (revision bounds, sorting, the limit, keys_only) is
// txn.SelectKVs in etcdserver/txn/range.go, which chapter 02 uses too: read it first.
//
// TODO, in this order:
//  1. Revisions: this store keeps only the newest revision, st.rev. A request for a later
//     revision gets rpctypes.ErrGRPCFutureRev; a request for an earlier one (r.Revision > 0 and
//     below st.rev) gets rpctypes.ErrGRPCCompacted, as etcd answers after a compaction.
//  2. kvs := st.rangeKeys(r.Key, r.RangeEnd) gives the pairs of the range in key order.
//  3. resp.Header.Revision is st.rev; resp.Count is len(kvs), counted before any filter or limit.
//     With r.CountOnly, return now, without kvs.
//  4. etcd's index hands over only the first txn.FetchLimit(r) pairs (0: all of them). Keep only
//     those, then let txn.SelectKVs(r, kvs) choose resp.Kvs and resp.More.
func executeRange(st *memStore, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	return nil, todo("executeRange")
}
