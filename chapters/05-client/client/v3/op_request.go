//go:build !(workshop_05 || workshop_oprequest)

package clientv3

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

// toRangeRequest is the RangeRequest a Get Op stands for: every field of the Op the server
// reads, the sort only if one was asked for. Workshop exercise "OpRequest", with toRequestOp
// and getPrefix.
func (op Op) toRangeRequest() *pb.RangeRequest {
	if op.t != tRange {
		panic("op.t != tRange")
	}
	r := &pb.RangeRequest{
		Key:               op.key,
		RangeEnd:          op.end,
		Limit:             op.limit,
		Revision:          op.rev,
		Serializable:      op.serializable,
		KeysOnly:          op.keysOnly,
		CountOnly:         op.countOnly,
		MinModRevision:    op.minModRev,
		MaxModRevision:    op.maxModRev,
		MinCreateRevision: op.minCreateRev,
		MaxCreateRevision: op.maxCreateRev,
	}
	if op.sort != nil {
		r.SortOrder = pb.RangeRequest_SortOrder(op.sort.Order)
		r.SortTarget = pb.RangeRequest_SortTarget(op.sort.Target)
	}
	return r
}

// toRequestOp is the request an Op stands for inside a Txn; a Txn Op becomes a nested Txn
// (which the server refuses, as etcd does in a txn that also writes).
func (op Op) toRequestOp() *pb.RequestOp {
	switch op.t {
	case tRange:
		return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: op.toRangeRequest()}}
	case tPut:
		return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: op.toPutRequest()}}
	case tDeleteRange:
		return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: op.toDeleteRangeRequest()}}
	case tTxn:
		return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: op.toTxnRequest()}}
	default:
		panic("Unknown Op")
	}
}

func (op Op) toPutRequest() *pb.PutRequest {
	return &pb.PutRequest{Key: op.key, Value: op.val, Lease: int64(op.leaseID), PrevKv: op.prevKV,
		IgnoreValue: op.ignoreValue, IgnoreLease: op.ignoreLease}
}

func (op Op) toDeleteRangeRequest() *pb.DeleteRangeRequest {
	return &pb.DeleteRangeRequest{Key: op.key, RangeEnd: op.end, PrevKv: op.prevKV}
}

func (op Op) toTxnRequest() *pb.TxnRequest {
	r := &pb.TxnRequest{
		Compare: make([]*pb.Compare, len(op.cmps)),
		Success: make([]*pb.RequestOp, len(op.thenOps)),
		Failure: make([]*pb.RequestOp, len(op.elseOps)),
	}
	for i, c := range op.cmps {
		r.Compare[i] = c.toCompare()
	}
	for i, o := range op.thenOps {
		r.Success[i] = o.toRequestOp()
	}
	for i, o := range op.elseOps {
		r.Failure[i] = o.toRequestOp()
	}
	return r
}

// getPrefix is the smallest key greater than every key that starts with key: key with its last
// byte below 0xff incremented and what follows dropped ("a\xff" -> "b"). A key of 0xff bytes only
// has no such key: noPrefixEnd, to the end of the keyspace.
func getPrefix(key []byte) []byte {
	end := make([]byte, len(key))
	copy(end, key)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return noPrefixEnd
}
