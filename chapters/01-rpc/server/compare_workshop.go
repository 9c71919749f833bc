//go:build workshop

//etcdwalk:exercise name=TxnCompare tests=^TestTxnCompare

package server

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
)

// applyCompare evaluates one Txn comparison against the store. Workshop exercise "TxnCompare":
// make `go test -tags workshop -run TestTxnCompare .` pass. The reference answer is compare.go;
// etcd's is applyCompare and compareKV in server/etcdserver/txn/txn.go.
//
// TODO:
//  1. kvs := st.rangeKeys(c.Key, c.RangeEnd): the keys the comparison is about (one key, or every
//     key of a range when c.RangeEnd is set).
//  2. No key at all: a VALUE comparison is false (a missing value and an empty one must not look
//     alike); any other target compares a zero KeyValue (version 0, create 0, mod 0, lease 0).
//  3. Otherwise the comparison holds only if compareKV holds for every key.
func applyCompare(st *memStore, c *pb.Compare) bool {
	return false
}

// compareKV checks one stored pair against c.
//
// TODO:
//  1. Pick the field of kv that c.Target names (VALUE, CREATE, MOD, VERSION, LEASE) and the value
//     to compare it with from c's getters (c.GetValue(), c.GetCreateRevision(), ...): a getter
//     returns zero when the union holds another field, which is what etcd compares with too.
//  2. Compare them (bytes.Compare for values, cmp.Compare for numbers) and turn the result into
//     the answer c.Result asks for: EQUAL, NOT_EQUAL, GREATER, LESS. An unknown c.Result is true.
func compareKV(c *pb.Compare, kv *mvccpb.KeyValue) bool {
	return false
}
