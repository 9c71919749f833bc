package v3rpc

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
)

// CheckRangeRequest refuses a range without a key, or with a sort order or target the API does
// not define (etcd's checkRangeRequest).
func CheckRangeRequest(r *pb.RangeRequest) error {
	if len(r.Key) == 0 {
		return rpctypes.ErrGRPCEmptyKey
	}
	if _, ok := pb.RangeRequest_SortOrder_name[int32(r.SortOrder)]; !ok {
		return rpctypes.ErrGRPCInvalidSortOption
	}
	if _, ok := pb.RangeRequest_SortTarget_name[int32(r.SortTarget)]; !ok {
		return rpctypes.ErrGRPCInvalidSortOption
	}
	return nil
}

// CheckPutRequest refuses a put without a key, and a put that asks to keep the stored value or
// lease while giving a new one (etcd's checkPutRequest).
func CheckPutRequest(r *pb.PutRequest) error {
	if len(r.Key) == 0 {
		return rpctypes.ErrGRPCEmptyKey
	}
	if r.IgnoreValue && len(r.Value) != 0 {
		return rpctypes.ErrGRPCValueProvided
	}
	if r.IgnoreLease && r.Lease != 0 {
		return rpctypes.ErrGRPCLeaseProvided
	}
	return nil
}

// CheckDeleteRequest refuses a delete without a key (etcd's checkDeleteRequest).
func CheckDeleteRequest(r *pb.DeleteRangeRequest) error {
	if len(r.Key) == 0 {
		return rpctypes.ErrGRPCEmptyKey
	}
	return nil
}

// CheckTxnRequest limits the size of a txn and checks every comparison and operation in it,
// nested txns included (etcd's checkTxnRequest). The size of a txn is its longest list: the
// comparisons, the success branch or the failure branch. A nested txn may use only what its parent
// left of maxTxnOps (--max-txn-ops).
func CheckTxnRequest(r *pb.TxnRequest, maxTxnOps int) error {
	opc := max(len(r.Compare), len(r.Success), len(r.Failure))
	if opc > maxTxnOps {
		return rpctypes.ErrGRPCTooManyOps
	}
	for _, c := range r.Compare {
		if len(c.Key) == 0 {
			return rpctypes.ErrGRPCEmptyKey
		}
	}
	for _, ops := range [][]*pb.RequestOp{r.Success, r.Failure} {
		for _, op := range ops {
			if err := checkRequestOp(op, maxTxnOps-opc); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkRequestOp(op *pb.RequestOp, maxTxnOps int) error {
	switch req := op.Request.(type) {
	case *pb.RequestOp_RequestRange:
		return CheckRangeRequest(req.RequestRange)
	case *pb.RequestOp_RequestPut:
		return CheckPutRequest(req.RequestPut)
	case *pb.RequestOp_RequestDeleteRange:
		return CheckDeleteRequest(req.RequestDeleteRange)
	case *pb.RequestOp_RequestTxn:
		return CheckTxnRequest(req.RequestTxn, maxTxnOps)
	default:
		return rpctypes.ErrGRPCKeyNotFound // an operation with no request in it, as etcd answers
	}
}
