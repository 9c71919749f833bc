//go:build !workshop

package server

import (
	"bytes"
	"cmp"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
)

// applyCompare evaluates one Txn comparison against the store, as etcd's applyCompare
// (server/etcdserver/txn/txn.go) does: every key of the compared range must satisfy it. Workshop
// exercise "TxnCompare".
func applyCompare(st *memStore, c *pb.Compare) bool {
	kvs := st.rangeKeys(c.Key, c.RangeEnd)
	if len(kvs) == 0 {
		// A missing key has version, create and mod revision 0 and no lease, so those can be
		// compared; but it has no value, and an empty value would be indistinguishable from it,
		// so a VALUE comparison on a missing key is always false.
		if c.Target == pb.Compare_VALUE {
			return false
		}
		return compareKV(c, &mvccpb.KeyValue{})
	}
	for _, kv := range kvs {
		if !compareKV(c, kv) {
			return false
		}
	}
	return true
}

// compareKV checks one stored pair against c. The compared field is chosen by c.Target; the value
// to compare with is read from c.TargetUnion and counts as zero (or empty) when the union holds
// some other field.
func compareKV(c *pb.Compare, kv *mvccpb.KeyValue) bool {
	var result int
	switch c.Target {
	case pb.Compare_VALUE:
		result = bytes.Compare(kv.Value, c.GetValue())
	case pb.Compare_CREATE:
		result = cmp.Compare(kv.CreateRevision, c.GetCreateRevision())
	case pb.Compare_MOD:
		result = cmp.Compare(kv.ModRevision, c.GetModRevision())
	case pb.Compare_VERSION:
		result = cmp.Compare(kv.Version, c.GetVersion())
	case pb.Compare_LEASE:
		result = cmp.Compare(kv.Lease, c.GetLease())
	}
	switch c.Result {
	case pb.Compare_EQUAL:
		return result == 0
	case pb.Compare_NOT_EQUAL:
		return result != 0
	case pb.Compare_GREATER:
		return result > 0
	case pb.Compare_LESS:
		return result < 0
	}
	return true // an unknown result is not checked, as in etcd
}
