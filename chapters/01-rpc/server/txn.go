package server

import (
	"context"
	"slices"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
)

// Txn runs a transaction: check it, evaluate the comparisons, check the chosen branch, then run it
// as one write. This chapter serves flat transactions (Range, Put, DeleteRange operations); a txn
// nested inside a txn is refused with Unimplemented until chapter 02.
func (s *kvServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	if err := checkTxnRequest(r, config.DefaultMaxTxnOps); err != nil {
		return nil, err
	}
	for _, op := range slices.Concat(r.Success, r.Failure) {
		if _, ok := op.Request.(*pb.RequestOp_RequestTxn); ok {
			return nil, unsupported("a txn nested inside a txn")
		}
	}
	if err := checkIntervals(r.Success); err != nil {
		return nil, err
	}
	if err := checkIntervals(r.Failure); err != nil {
		return nil, err
	}
	trace := traceutil.Get(ctx)
	trace.Step("check txn request")

	s.st.mu.Lock()
	defer s.st.mu.Unlock()

	succeeded := true
	for _, c := range r.Compare {
		if !applyCompare(s.st, c) {
			succeeded = false
			break
		}
	}
	ops := r.Success
	if !succeeded {
		ops = r.Failure
	}
	trace.Step("compare")
	// Everything that could fail is checked before anything is written: a txn applies whole or
	// not at all.
	if err := checkTxnOps(s.st, ops); err != nil {
		return nil, err
	}

	tw := &writeTxn{st: s.st}
	resp := &pb.TxnResponse{Header: &pb.ResponseHeader{}, Succeeded: succeeded}
	for _, op := range ops {
		resp.Responses = append(resp.Responses, executeOp(tw, op))
	}
	resp.Header.Revision = tw.rev()
	tw.end()
	trace.Step("execute the chosen operations")
	s.hdr.fill(resp.Header, s.st.rev)
	return resp, nil
}

// executeOp runs one checked operation of a txn.
func executeOp(tw *writeTxn, op *pb.RequestOp) *pb.ResponseOp {
	switch req := op.Request.(type) {
	case *pb.RequestOp_RequestRange:
		resp, _ := executeRange(tw.st, req.RequestRange) // checkTxnOps ruled the errors out
		if resp != nil {
			resp.Header.Revision = tw.rev() // a read inside the txn sees the txn's own writes
		}
		return &pb.ResponseOp{Response: &pb.ResponseOp_ResponseRange{ResponseRange: resp}}
	case *pb.RequestOp_RequestPut:
		resp, _ := applyPut(tw, req.RequestPut)
		return &pb.ResponseOp{Response: &pb.ResponseOp_ResponsePut{ResponsePut: resp}}
	case *pb.RequestOp_RequestDeleteRange:
		resp := applyDeleteRange(tw, req.RequestDeleteRange)
		return &pb.ResponseOp{Response: &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: resp}}
	}
	return &pb.ResponseOp{}
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

// checkTxnRequest is etcd's validation of a txn's shape: the operation count and every operation's
// own check.
func checkTxnRequest(r *pb.TxnRequest, maxOps int) error {
	opc := max(len(r.Compare), len(r.Success), len(r.Failure))
	if opc > maxOps {
		return rpctypes.ErrGRPCTooManyOps
	}
	for _, c := range r.Compare {
		if len(c.Key) == 0 {
			return rpctypes.ErrGRPCEmptyKey
		}
	}
	for _, ops := range [][]*pb.RequestOp{r.Success, r.Failure} {
		for _, op := range ops {
			if err := checkRequestOp(op, maxOps-opc); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkRequestOp(op *pb.RequestOp, maxOps int) error {
	switch req := op.Request.(type) {
	case *pb.RequestOp_RequestRange:
		return checkRangeRequest(req.RequestRange)
	case *pb.RequestOp_RequestPut:
		return checkPutRequest(req.RequestPut)
	case *pb.RequestOp_RequestDeleteRange:
		return checkDeleteRequest(req.RequestDeleteRange)
	case *pb.RequestOp_RequestTxn:
		return checkTxnRequest(req.RequestTxn, maxOps)
	default:
		// An operation with no request set: etcd answers "key not found".
		return rpctypes.ErrGRPCKeyNotFound
	}
}

// checkIntervals is etcd's duplicate-key rule for one branch of a flat txn: no key may be put
// twice, and no key may be both put and inside a deleted range. Deleting overlapping ranges twice
// is allowed.
func checkIntervals(ops []*pb.RequestOp) error {
	var dels []*pb.DeleteRangeRequest
	for _, op := range ops {
		if d, ok := op.Request.(*pb.RequestOp_RequestDeleteRange); ok {
			dels = append(dels, d.RequestDeleteRange)
		}
	}
	puts := make(map[string]bool)
	for _, op := range ops {
		p, ok := op.Request.(*pb.RequestOp_RequestPut)
		if !ok {
			continue
		}
		key := p.RequestPut.Key
		if puts[string(key)] {
			return rpctypes.ErrGRPCDuplicateKey
		}
		for _, d := range dels {
			if inDeleteInterval(key, d) {
				return rpctypes.ErrGRPCDuplicateKey
			}
		}
		puts[string(key)] = true
	}
	return nil
}

// inDeleteInterval reports whether key falls in the range d deletes. etcd v3.6.16's check takes a
// from-key delete's "\x00" literally and so lets a put after it through, which crashes etcd or
// loses the put (etcd-io/etcd#22376, #22445); like etcd's fix (etcd-io/etcd#22395), this check
// uses the range the delete really covers.
func inDeleteInterval(key []byte, d *pb.DeleteRangeRequest) bool {
	return inRange(key, d.Key, d.RangeEnd)
}
