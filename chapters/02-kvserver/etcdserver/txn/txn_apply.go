package txn

import (
	"context"
	"fmt"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"
)

// Txn applies a TxnRequest: evaluate the comparisons (of this txn and of the nested txns on the
// chosen path), check the chosen operations against the store, then run them. A txn that cannot
// write (no put or delete anywhere in it) runs in a read transaction, any other in one write
// transaction, so that all its writes share one revision.
func Txn(ctx context.Context, kv *mvcc.Store, rt *pb.TxnRequest) (*pb.TxnResponse, error) {
	trace := traceutil.Get(ctx)
	if IsTxnReadonly(rt) {
		tr, err := kv.Read()
		if err != nil {
			return nil, err
		}
		defer tr.End()
		return txn(ctx, readOnlyView{tr}, rt)
	}
	tw := kv.Write()
	resp, err := txn(ctx, tw, rt)
	trace.Step("execute the chosen operations")
	if endErr := tw.End(ctx); err == nil {
		err = endErr
	}
	return resp, err
}

func txn(ctx context.Context, tv WriteView, rt *pb.TxnRequest) (*pb.TxnResponse, error) {
	txnPath := compareToPath(ctx, tv, rt)
	traceutil.Get(ctx).Step("compare")
	// Everything that can fail is checked before the first write: a txn applies whole or not at all.
	if _, err := checkTxn(ctx, tv, rt, txnPath); err != nil {
		return nil, err
	}
	resp, _ := newTxnResp(rt, txnPath)
	if _, err := executeTxn(ctx, tv, rt, txnPath, resp); err != nil {
		// checkTxn ruled out every error a request can cause; what is left is a broken store.
		return nil, fmt.Errorf("txn: applying a checked txn failed: %w", err)
	}
	rev := tv.Rev()
	if len(tv.Changes()) != 0 {
		rev++
	}
	resp.Header.Revision = rev
	return resp, nil
}

// compareToPath evaluates the comparisons once, before anything runs: the answer for rt first, then,
// depth first, for each txn nested in the branch that answer chose.
func compareToPath(ctx context.Context, rv ReadView, rt *pb.TxnRequest) []bool {
	ok := applyCompares(ctx, rv, rt.Compare)
	path := []bool{ok}
	for _, op := range branch(rt, ok) {
		if t := op.GetRequestTxn(); t != nil {
			path = append(path, compareToPath(ctx, rv, t)...)
		}
	}
	return path
}

func applyCompares(ctx context.Context, rv ReadView, cmps []*pb.Compare) bool {
	for _, c := range cmps {
		if !applyCompare(ctx, rv, c) {
			return false
		}
	}
	return true
}

func branch(rt *pb.TxnRequest, succeeded bool) []*pb.RequestOp {
	if succeeded {
		return rt.Success
	}
	return rt.Failure
}

// checkTxn checks the operations on the chosen path against the store as it is before the txn:
// ranges at revisions the store has, puts whose lease exists and whose ignore_* flags find a key.
// It returns how many nested txns it went through, to step through txnPath.
func checkTxn(ctx context.Context, rv ReadView, rt *pb.TxnRequest, txnPath []bool) (int, error) {
	txns := 0
	for _, op := range branch(rt, txnPath[0]) {
		var err error
		switch req := op.Request.(type) {
		case *pb.RequestOp_RequestRange:
			err = checkRange(rv, req.RequestRange)
		case *pb.RequestOp_RequestPut:
			err = checkPut(ctx, rv, req.RequestPut)
		case *pb.RequestOp_RequestTxn:
			var n int
			n, err = checkTxn(ctx, rv, req.RequestTxn, txnPath[1:])
			txns += n + 1
			txnPath = txnPath[n+1:]
		}
		if err != nil {
			return 0, err
		}
	}
	return txns, nil
}

func checkRange(rv ReadView, r *pb.RangeRequest) error {
	switch {
	case r.Revision == 0:
		return nil
	case r.Revision > rv.Rev():
		return mvcc.ErrFutureRev
	case r.Revision < rv.FirstRev():
		// Note: a negative revision lands here once the store has been compacted, as in etcd.
		return mvcc.ErrCompacted
	}
	return nil
}

func checkPut(ctx context.Context, rv ReadView, p *pb.PutRequest) error {
	if p.IgnoreValue || p.IgnoreLease {
		rr, err := rv.Range(ctx, p.Key, nil, mvcc.RangeOptions{})
		if err != nil {
			return err
		}
		if len(rr.KVs) == 0 {
			return errors.ErrKeyNotFound
		}
	}
	if p.Lease != 0 {
		return errors.ErrLeaseNotFound
	}
	return nil
}

// newTxnResp lays out the response: one ResponseOp per operation of the chosen branch, nested txns
// included, to be filled by executeTxn.
func newTxnResp(rt *pb.TxnRequest, txnPath []bool) (*pb.TxnResponse, int) {
	ops := branch(rt, txnPath[0])
	resp := &pb.TxnResponse{Header: &pb.ResponseHeader{}, Succeeded: txnPath[0], Responses: make([]*pb.ResponseOp, len(ops))}
	txns := 0
	for i, op := range ops {
		switch req := op.Request.(type) {
		case *pb.RequestOp_RequestRange:
			resp.Responses[i] = &pb.ResponseOp{Response: &pb.ResponseOp_ResponseRange{}}
		case *pb.RequestOp_RequestPut:
			resp.Responses[i] = &pb.ResponseOp{Response: &pb.ResponseOp_ResponsePut{}}
		case *pb.RequestOp_RequestDeleteRange:
			resp.Responses[i] = &pb.ResponseOp{Response: &pb.ResponseOp_ResponseDeleteRange{}}
		case *pb.RequestOp_RequestTxn:
			sub, n := newTxnResp(req.RequestTxn, txnPath[1:])
			resp.Responses[i] = &pb.ResponseOp{Response: &pb.ResponseOp_ResponseTxn{ResponseTxn: sub}}
			txnPath = txnPath[1+n:]
			txns += n + 1
		default:
			resp.Responses[i] = &pb.ResponseOp{}
		}
	}
	return resp, txns
}

func executeTxn(ctx context.Context, tv WriteView, rt *pb.TxnRequest, txnPath []bool, resp *pb.TxnResponse) (int, error) {
	txns := 0
	for i, op := range branch(rt, txnPath[0]) {
		switch req := op.Request.(type) {
		case *pb.RequestOp_RequestRange:
			r, err := executeRange(ctx, tv, req.RequestRange)
			if err != nil {
				return 0, err
			}
			resp.Responses[i].Response.(*pb.ResponseOp_ResponseRange).ResponseRange = r
		case *pb.RequestOp_RequestPut:
			r, err := put(ctx, tv, req.RequestPut)
			if err != nil {
				return 0, err
			}
			resp.Responses[i].Response.(*pb.ResponseOp_ResponsePut).ResponsePut = r
		case *pb.RequestOp_RequestDeleteRange:
			r, err := deleteRange(ctx, tv, req.RequestDeleteRange)
			if err != nil {
				return 0, err
			}
			resp.Responses[i].Response.(*pb.ResponseOp_ResponseDeleteRange).ResponseDeleteRange = r
		case *pb.RequestOp_RequestTxn:
			sub := resp.Responses[i].Response.(*pb.ResponseOp_ResponseTxn).ResponseTxn
			n, err := executeTxn(ctx, tv, req.RequestTxn, txnPath[1:], sub)
			if err != nil {
				return 0, err
			}
			txns += n + 1
			txnPath = txnPath[n+1:]
		}
	}
	return txns, nil
}

// IsTxnReadonly reports whether rt holds only ranges. Like etcd's, it looks at the top level only:
// a txn with a nested txn counts as a write, whatever the nested txn does, and goes the write way
// (through raft, from chapter 03 on).
func IsTxnReadonly(rt *pb.TxnRequest) bool {
	for _, ops := range [][]*pb.RequestOp{rt.Success, rt.Failure} {
		for _, op := range ops {
			if op.GetRequestRange() == nil {
				return false
			}
		}
	}
	return true
}

// readOnlyView lets a read transaction run a txn that cannot write.
type readOnlyView struct{ *mvcc.TxnRead }

func (readOnlyView) Put([]byte, []byte, int64) int64 { panic("txn: put in a read-only txn") }
func (readOnlyView) DeleteRange([]byte, []byte) (int64, int64) {
	panic("txn: delete in a read-only txn")
}
func (readOnlyView) Changes() []*mvccpb.KeyValue { return nil }
