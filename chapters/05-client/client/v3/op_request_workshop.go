//go:build workshop_05 || workshop_oprequest

//etcdwalk:exercise name=OpRequest tag=workshop_oprequest tests=^Test(OpGetBecomesItsRangeRequest|OpInATxnBecomesItsRequestOp|CompareBuildsEtcdsCompare|OpConstructorsRefuseContradictoryOptions|Suite(GetOptions|PutAndDelete|Txn|ErrorsAreEtcds)|FailoverWhenTheLeaderIsKilled|Session)$

package clientv3

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

// toRangeRequest is the RangeRequest a Get Op stands for. Workshop exercise "OpRequest": make
// `go test -tags workshop_oprequest ./client/v3/` pass. The reference answer is op_request.go;
// etcd's is Op.toRangeRequest, Op.toRequestOp and getPrefix in client/v3/op.go.
//
// TODO: copy every range field of the Op into the request (key, range end, limit, revision,
// serializable, keys only, count only, and the four revision bounds). Which of them would a
// reader notice if it were dropped? A sort is sent only if the Op has one (op.sort != nil); its
// values are those of RangeRequest's enums. Panic if op.t is not tRange.
func (op Op) toRangeRequest() *pb.RangeRequest {
	return &pb.RangeRequest{Key: op.key}
}

// toRequestOp is the request an Op stands for inside a Txn.
//
// TODO: one case per op type: a RequestOp whose Request is the RequestOp_RequestRange,
// _RequestPut, _RequestDeleteRange or _RequestTxn wrapping the request of that kind (the
// helpers below build the put, delete and txn requests). Panic on an unknown type.
func (op Op) toRequestOp() *pb.RequestOp {
	return &pb.RequestOp{}
}

func (op Op) toPutRequest() *pb.PutRequest {
	return &pb.PutRequest{Key: op.key, Value: op.val, Lease: int64(op.leaseID), PrevKv: op.prevKV,
		IgnoreValue: op.ignoreValue, IgnoreLease: op.ignoreLease}
}

func (op Op) toDeleteRangeRequest() *pb.DeleteRangeRequest {
	return &pb.DeleteRangeRequest{Key: op.key, RangeEnd: op.end, PrevKv: op.prevKV}
}

func (op Op) toTxnRequest() *pb.TxnRequest {
	r := &pb.TxnRequest{}
	for _, c := range op.cmps {
		r.Compare = append(r.Compare, c.toCompare())
	}
	for _, o := range op.thenOps {
		r.Success = append(r.Success, o.toRequestOp())
	}
	for _, o := range op.elseOps {
		r.Failure = append(r.Failure, o.toRequestOp())
	}
	return r
}

// getPrefix is the range end that covers every key starting with key.
//
// TODO: the smallest key greater than every key that starts with key. Incrementing the last
// byte works for "ab" -> "ac"; what about "a\xff", and "\xff\xff"? (Hint: noPrefixEnd.) Do not
// change the caller's slice.
func getPrefix(key []byte) []byte {
	return append(append([]byte(nil), key...), 0)
}
