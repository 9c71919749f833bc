//go:build workshop

//etcdwalk:exercise name=TxnCompare tests=^TestTxn(Compare|Nested)

package txn

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
)

// applyCompare evaluates one Txn comparison against the store. Workshop exercise "TxnCompare":
// make `go test -tags workshop -run TestTxnCompare ./etcdserver/txn/` pass. The reference answer is
// compare.go; etcd's is applyCompare and compareKV in server/etcdserver/txn/txn.go.
//
// TODO:
//  1. Read the keys the comparison is about: rv.Range(ctx, c.Key, mkGteRange(c.RangeEnd),
//     mvcc.RangeOptions{}) (one key, or all keys of [key, range_end)). On error, the comparison
//     fails.
//  2. No key at all: a VALUE comparison is false (a missing value must not look like an empty
//     one); any other target compares a zero KeyValue (version, create, mod and lease all 0).
//  3. Otherwise the comparison holds only if compareKV holds for every key.
func applyCompare(ctx context.Context, rv ReadView, c *pb.Compare) bool {
	return false
}

// compareKV checks one pair against c.
//
// TODO:
//  1. Pick the field of kv that c.Target names and the value to compare it with from c's getters
//     (c.GetValue(), c.GetVersion(), ...): a getter gives zero when the union holds another field,
//     which is exactly what etcd compares with.
//  2. Compare (bytes.Compare for values, cmp.Compare for numbers) and answer what c.Result asks:
//     EQUAL, NOT_EQUAL, GREATER, LESS. An unknown c.Result holds.
func compareKV(c *pb.Compare, kv *mvccpb.KeyValue) bool {
	return false
}
