//go:build !workshop

package txn

import (
	"bytes"
	"cmp"
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"
)

// applyCompare evaluates one Txn comparison against the store: every key of the compared range must
// satisfy it (etcd's applyCompare). Workshop exercise "TxnCompare".
func applyCompare(ctx context.Context, rv ReadView, c *pb.Compare) bool {
	rr, err := rv.Range(ctx, c.Key, mkGteRange(c.RangeEnd), mvcc.RangeOptions{})
	if err != nil {
		return false
	}
	if len(rr.KVs) == 0 {
		// A missing key compares as version, create and mod revision 0 and lease 0, but it has no
		// value: an empty value would be indistinguishable from it, so VALUE is always false.
		if c.Target == pb.Compare_VALUE {
			return false
		}
		return compareKV(c, &mvccpb.KeyValue{})
	}
	for _, kv := range rr.KVs {
		if !compareKV(c, kv) {
			return false
		}
	}
	return true
}

// compareKV checks one pair against c. The value compared with comes from c.TargetUnion and counts
// as zero (or empty) when the union holds another field than c.Target names.
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
