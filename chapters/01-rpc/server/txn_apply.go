//go:build !(workshop_01 || workshop_txn)

package server

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/etcdserver/txn"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
)

// applyTxn evaluates r's comparisons, checks the branch they choose and runs it as one write: etcd's
// txn.Txn (compareToPath, checkTxn, executeTxn in server/etcdserver/txn/txn.go) for a txn without
// nested txns. The caller holds st.mu. Workshop exercise "Txn".
func applyTxn(ctx context.Context, st *memStore, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	// Every comparison is evaluated against the store as it is before the txn.
	succeeded := true
	for _, c := range r.Compare {
		if !txn.CompareKVs(c, st.rangeKeys(c.Key, c.RangeEnd)) {
			succeeded = false
			break
		}
	}
	ops := r.Success
	if !succeeded {
		ops = r.Failure
	}
	traceutil.Get(ctx).Step("compare")

	// Everything that could fail is checked before anything is written: a txn applies whole or
	// not at all.
	if err := checkTxnOps(st, ops); err != nil {
		return nil, err
	}
	tw := &writeTxn{st: st}
	resp := &pb.TxnResponse{Header: &pb.ResponseHeader{}, Succeeded: succeeded}
	for _, op := range ops {
		resp.Responses = append(resp.Responses, executeOp(tw, op))
	}
	resp.Header.Revision = tw.rev()
	tw.end()
	return resp, nil
}

// checkTxnOps is etcd's checkTxn for the chosen branch, against the store as it was before the
// txn: a range must be at a revision the store has, a put may not name a lease (none exist yet),
// and a put with ignore_value or ignore_lease needs its key to exist already.
func checkTxnOps(st *memStore, ops []*pb.RequestOp) error {
	writes := false
	for _, op := range ops {
		switch req := op.Request.(type) {
		case *pb.RequestOp_RequestRange:
			rev := req.RequestRange.Revision
			switch {
			case rev > st.rev:
				return rpctypes.ErrGRPCFutureRev
			case rev > 0 && rev < st.rev:
				return rpctypes.ErrGRPCCompacted
			case rev == st.rev && writes:
				// etcd would read the state from before this txn's earlier writes; a store
				// without history cannot.
				return unsupported("a range at a fixed revision after a write in the same txn")
			}
		case *pb.RequestOp_RequestPut:
			p := req.RequestPut
			if (p.IgnoreValue || p.IgnoreLease) && len(st.rangeKeys(p.Key, nil)) == 0 {
				return rpctypes.ErrGRPCKeyNotFound
			}
			if p.Lease != 0 {
				return rpctypes.ErrGRPCLeaseNotFound
			}
			writes = true
		case *pb.RequestOp_RequestDeleteRange:
			writes = true
		}
	}
	return nil
}
