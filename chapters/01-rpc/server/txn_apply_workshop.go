//go:build workshop_01 || workshop_txn

//etcdwalk:exercise name=Txn tag=workshop_txn tests=^TestTxn

package server

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

// applyTxn evaluates r's comparisons, checks the branch they choose and runs it as one write.
// Workshop exercise "Txn": make `go test -tags workshop_txn -run TestTxn ./server/` pass. The
// reference answer is txn_apply.go; etcd's is Txn in server/etcdserver/txn/txn.go (compareToPath,
// checkTxn, executeTxn). kvServer.Txn in txn.go has validated r and holds st.mu.
//
// TODO:
//  1. Evaluate every comparison before anything is written. c holds if
//     txn.CompareKVs(c, st.rangeKeys(c.Key, c.RangeEnd)) does: read CompareKVs in
//     etcdserver/txn/compare.go first, it says what a range and a missing key compare as. The txn
//     succeeds only if every comparison holds; it then runs r.Success, otherwise r.Failure.
//  2. Call checkTxnOps(st, ops) before the first write and return its error as is: a txn applies
//     whole or not at all.
//  3. Run the operations in order in one tw := &writeTxn{st: st}, with executeOp(tw, op) for each,
//     so that all the writes share one new revision and a range sees the writes before it.
//     resp.Succeeded says which branch ran; resp.Header.Revision is tw.rev(); then tw.end().
//
// Optionally, record traceutil.Get(ctx).Step("compare") after the comparisons.
func applyTxn(ctx context.Context, st *memStore, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	return nil, todo("applyTxn")
}

// checkTxnOps checks the chosen operations against the store as it is before the txn and returns
// the error etcd would (etcd's checkTxn).
//
// TODO, for each operation in order:
//  1. A range at r.Revision above st.rev: rpctypes.ErrGRPCFutureRev. Above 0 and below st.rev:
//     rpctypes.ErrGRPCCompacted (this store has only the newest revision). Equal to st.rev after a
//     put or delete earlier in ops: etcd would read the store as it was before those writes, which
//     this store cannot, so return unsupported("a range at a fixed revision after a write in the
//     same txn").
//  2. A put with ignore_value or ignore_lease of a key st.rangeKeys(key, nil) does not find:
//     rpctypes.ErrGRPCKeyNotFound. A put naming any lease: rpctypes.ErrGRPCLeaseNotFound (there
//     are no leases before the Lease service).
func checkTxnOps(st *memStore, ops []*pb.RequestOp) error {
	return todo("checkTxnOps")
}
