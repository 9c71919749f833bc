package txn

import (
	"bytes"
	"sort"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
)

// FetchLimit is how many pairs, in key order, a store must read to answer r, as etcd's
// executeRange asks its index: 0 (all of them) when the answer depends on the whole range, because
// r sorts it or filters it by revision; otherwise one more than r.Limit, the extra pair telling
// whether there are more. A sort target without a sort order does not count as sorting here, so
// etcd then sorts only the first limit+1 keys, and so does every chapter.
func FetchLimit(r *pb.RangeRequest) int64 {
	if r.SortOrder != pb.RangeRequest_NONE ||
		r.MinModRevision != 0 || r.MaxModRevision != 0 ||
		r.MinCreateRevision != 0 || r.MaxCreateRevision != 0 {
		return 0
	}
	if r.Limit > 0 {
		return r.Limit + 1
	}
	return 0
}

// SelectKVs turns kvs, the pairs of r's range in key order (at most FetchLimit(r) of them), into
// the pairs of the response: it drops those outside r's revision bounds, sorts the rest as r asks,
// keeps the first r.Limit and, for keys_only, clears their values. more reports whether the limit
// left pairs out. This is what etcd's executeRange does after txnRead.Range; kvs is reordered and
// changed in place.
func SelectKVs(r *pb.RangeRequest, kvs []*mvccpb.KeyValue) (_ []*mvccpb.KeyValue, more bool) {
	kvs = pruneKVs(r, kvs)
	sortKVs(kvs, r.SortOrder, r.SortTarget)
	if r.Limit > 0 && int64(len(kvs)) > r.Limit {
		kvs, more = kvs[:r.Limit], true
	}
	if r.KeysOnly {
		for _, kv := range kvs {
			kv.Value = nil
		}
	}
	return kvs, more
}

// pruneKVs drops the pairs outside r's mod and create revision bounds, where 0 means no bound.
func pruneKVs(r *pb.RangeRequest, kvs []*mvccpb.KeyValue) []*mvccpb.KeyValue {
	out := kvs[:0]
	for _, kv := range kvs {
		if (r.MaxModRevision != 0 && kv.ModRevision > r.MaxModRevision) ||
			(r.MinModRevision != 0 && kv.ModRevision < r.MinModRevision) ||
			(r.MaxCreateRevision != 0 && kv.CreateRevision > r.MaxCreateRevision) ||
			(r.MinCreateRevision != 0 && kv.CreateRevision < r.MinCreateRevision) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// sortKVs orders kvs, which come in key order, as etcd does: a target other than KEY with no order
// means ASCEND, and KEY ASCEND is the order they have already. It uses sort.Sort and sort.Reverse
// with etcd's comparisons (sort.Sort is not stable), so that pairs that tie, two keys of the same
// version say, come out in the order etcd gives them.
func sortKVs(kvs []*mvccpb.KeyValue, order pb.RangeRequest_SortOrder, target pb.RangeRequest_SortTarget) {
	if target != pb.RangeRequest_KEY && order == pb.RangeRequest_NONE {
		order = pb.RangeRequest_ASCEND
	} else if target == pb.RangeRequest_KEY && order == pb.RangeRequest_ASCEND {
		order = pb.RangeRequest_NONE
	}
	s := kvSorter{kvs: kvs, target: target}
	switch order {
	case pb.RangeRequest_ASCEND:
		sort.Sort(s)
	case pb.RangeRequest_DESCEND:
		sort.Sort(sort.Reverse(s))
	}
}

// kvSorter is etcd's kvSortByKey, kvSortByVersion, ... in one type, chosen by target.
type kvSorter struct {
	kvs    []*mvccpb.KeyValue
	target pb.RangeRequest_SortTarget
}

func (s kvSorter) Len() int      { return len(s.kvs) }
func (s kvSorter) Swap(i, j int) { s.kvs[i], s.kvs[j] = s.kvs[j], s.kvs[i] }
func (s kvSorter) Less(i, j int) bool {
	a, b := s.kvs[i], s.kvs[j]
	switch s.target {
	case pb.RangeRequest_VERSION:
		return a.Version < b.Version
	case pb.RangeRequest_CREATE:
		return a.CreateRevision < b.CreateRevision
	case pb.RangeRequest_MOD:
		return a.ModRevision < b.ModRevision
	case pb.RangeRequest_VALUE:
		return bytes.Compare(a.Value, b.Value) < 0
	default:
		return bytes.Compare(a.Key, b.Key) < 0
	}
}
