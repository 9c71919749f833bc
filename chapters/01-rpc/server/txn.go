package server

import (
	"context"
	"slices"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/etcdserver/api/v3rpc"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
)

// Txn runs a transaction: validate it, then apply it under the store's lock (applyTxn). This
// chapter serves flat transactions (Range, Put, DeleteRange operations); a txn nested inside a txn
// is refused with Unimplemented until chapter 02.
func (s *kvServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	if err := v3rpc.CheckTxnRequest(r, config.DefaultMaxTxnOps); err != nil {
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
	resp, err := applyTxn(ctx, s.st, r)
	if err != nil {
		return nil, err
	}
	trace.Step("execute the chosen operations")
	s.hdr.fill(resp.Header, s.st.rev)
	return resp, nil
}

// executeOp runs one checked operation of a txn inside tw.
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

// checkIntervals is etcd's duplicate-key rule for one branch of a flat txn: no key may be put
// twice, and no key may be both put and inside a deleted range. Deleting overlapping ranges twice
// is allowed. (Chapter 02's v3rpc has etcd's version, which also follows nested txns.)
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
