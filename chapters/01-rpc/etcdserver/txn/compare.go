package txn

import (
	"bytes"
	"cmp"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
)

// CompareKVs reports whether the comparison c holds, given kvs, the pairs stored in c's range
// ([c.Key, c.RangeEnd), or the one key c.Key): it must hold for every one of them. This is etcd's
// applyCompare after its read.
//
// An empty range still has something to compare: a missing key has version, create and mod
// revision 0 and lease 0, so `version("k") = "0"` is how a client asks "k does not exist". It has
// no value, though, and an empty value would look the same, so a VALUE comparison on a missing key
// is always false.
func CompareKVs(c *pb.Compare, kvs []*mvccpb.KeyValue) bool {
	if len(kvs) == 0 {
		return c.Target != pb.Compare_VALUE && compareKV(c, &mvccpb.KeyValue{})
	}
	for _, kv := range kvs {
		if !compareKV(c, kv) {
			return false
		}
	}
	return true
}

// compareKV checks one pair against c (etcd's compareKV). c.Target names the field; the value to
// compare it with comes from c.TargetUnion through its getter, which gives zero (or empty) when the
// union holds another field: etcd compares with zero then too.
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
