package txn

import (
	"bytes"
	"context"
	"sort"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"
)

// ReadView is what a read needs from a store transaction; WriteView adds the writes. Both
// mvcc.TxnRead and mvcc.TxnWrite are ReadViews, as in etcd's mvcc.ReadView and mvcc.WriteView.
type ReadView interface {
	Range(ctx context.Context, key, end []byte, ro mvcc.RangeOptions) (*mvcc.RangeResult, error)
	Rev() int64
	FirstRev() int64
}

type WriteView interface {
	ReadView
	Put(key, value []byte, lease int64) int64
	DeleteRange(key, end []byte) (n, rev int64)
	Changes() []*mvccpb.KeyValue
}

// Put applies a PutRequest in a write transaction of its own.
func Put(ctx context.Context, kv *mvcc.Store, p *pb.PutRequest) (*pb.PutResponse, error) {
	if p.Lease != 0 {
		return nil, errors.ErrLeaseNotFound // no lessor yet: every lease is unknown
	}
	tw := kv.Write()
	resp, err := put(ctx, tw, p)
	traceutil.Get(ctx).Step("write to the store")
	if endErr := tw.End(ctx); err == nil {
		err = endErr
	}
	traceutil.Get(ctx).Step("wait for the bbolt commit")
	return resp, err
}

func put(ctx context.Context, tw WriteView, p *pb.PutRequest) (*pb.PutResponse, error) {
	resp := &pb.PutResponse{Header: &pb.ResponseHeader{}}
	value, lease := p.Value, p.Lease
	if p.IgnoreValue || p.IgnoreLease || p.PrevKv {
		rr, err := tw.Range(ctx, p.Key, nil, mvcc.RangeOptions{})
		if err != nil {
			return nil, err
		}
		if (p.IgnoreValue || p.IgnoreLease) && len(rr.KVs) == 0 {
			return nil, errors.ErrKeyNotFound // there is no previous value or lease to keep
		}
		if p.IgnoreValue {
			value = rr.KVs[0].Value
		}
		if p.IgnoreLease {
			lease = rr.KVs[0].Lease
		}
		if p.PrevKv && len(rr.KVs) > 0 {
			resp.PrevKv = rr.KVs[0]
		}
	}
	resp.Header.Revision = tw.Put(p.Key, value, lease)
	return resp, nil
}

// DeleteRange applies a DeleteRangeRequest in a write transaction of its own.
func DeleteRange(ctx context.Context, kv *mvcc.Store, dr *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	tw := kv.Write()
	resp, err := deleteRange(ctx, tw, dr)
	if endErr := tw.End(ctx); err == nil {
		err = endErr
	}
	return resp, err
}

func deleteRange(ctx context.Context, tw WriteView, dr *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	resp := &pb.DeleteRangeResponse{Header: &pb.ResponseHeader{}}
	end := mkGteRange(dr.RangeEnd)
	if dr.PrevKv {
		rr, err := tw.Range(ctx, dr.Key, end, mvcc.RangeOptions{})
		if err != nil {
			return nil, err
		}
		resp.PrevKvs = rr.KVs
	}
	resp.Deleted, resp.Header.Revision = tw.DeleteRange(dr.Key, end)
	return resp, nil
}

// Range applies a RangeRequest in a read transaction of its own.
func Range(ctx context.Context, kv *mvcc.Store, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	tr, err := kv.Read()
	if err != nil {
		return nil, err
	}
	defer tr.End()
	return executeRange(ctx, tr, r)
}

// executeRange reads what r asks from rv: etcd's executeRange. The limit goes down to the index
// only when the answer does not depend on the whole range (no sort, no revision filter), and then
// one more pair than the limit is read, to learn whether there are more.
func executeRange(ctx context.Context, rv ReadView, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	limit := r.Limit
	if r.SortOrder != pb.RangeRequest_NONE ||
		r.MinModRevision != 0 || r.MaxModRevision != 0 ||
		r.MinCreateRevision != 0 || r.MaxCreateRevision != 0 {
		limit = 0
	}
	if limit > 0 {
		limit++
	}
	rr, err := rv.Range(ctx, r.Key, mkGteRange(r.RangeEnd), mvcc.RangeOptions{Limit: limit, Rev: r.Revision, Count: r.CountOnly})
	if err != nil {
		return nil, err
	}
	traceutil.Get(ctx).Step("range keys from the index and bbolt")

	kvs := pruneKVs(rr.KVs, r)
	sortKVs(kvs, r.SortOrder, r.SortTarget)
	resp := &pb.RangeResponse{Header: &pb.ResponseHeader{Revision: rr.Rev}, Count: int64(rr.Count)}
	if r.Limit > 0 && int64(len(kvs)) > r.Limit {
		kvs, resp.More = kvs[:r.Limit], true
	}
	if r.KeysOnly {
		for _, kv := range kvs {
			kv.Value = nil
		}
	}
	resp.Kvs = kvs
	traceutil.Get(ctx).Step("filter and sort the key-value pairs")
	return resp, nil
}

// mkGteRange turns the API's "\x00" range end ("no upper bound") into the store's empty end.
func mkGteRange(rangeEnd []byte) []byte {
	if len(rangeEnd) == 1 && rangeEnd[0] == 0 {
		return []byte{}
	}
	return rangeEnd
}

// pruneKVs drops the pairs outside the request's mod and create revision bounds (0: no bound).
func pruneKVs(kvs []*mvccpb.KeyValue, r *pb.RangeRequest) []*mvccpb.KeyValue {
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

// sortKVs orders kvs (which come in key order) as etcd does: a target other than KEY without an
// order means ASCEND, and KEY ASCEND is the order they already have. It uses sort.Sort and
// sort.Reverse with the same comparisons as etcd, so that pairs that tie come out in etcd's order.
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
