package txn

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
	txn01 "etcdwalk/chapters/01-rpc/etcdserver/txn"
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

// executeRange reads what r asks from rv: etcd's executeRange. The store reads the range at
// r.Revision, only as many pairs as txn01.FetchLimit says, and counts the whole range; chapter 01's
// txn01.SelectKVs then applies what the store does not know about.
func executeRange(ctx context.Context, rv ReadView, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	ro := mvcc.RangeOptions{Limit: txn01.FetchLimit(r), Rev: r.Revision, Count: r.CountOnly}
	rr, err := rv.Range(ctx, r.Key, mkGteRange(r.RangeEnd), ro)
	if err != nil {
		return nil, err
	}
	traceutil.Get(ctx).Step("range keys from the index and bbolt")

	resp := &pb.RangeResponse{Header: &pb.ResponseHeader{Revision: rr.Rev}, Count: int64(rr.Count)}
	resp.Kvs, resp.More = txn01.SelectKVs(r, rr.KVs)
	traceutil.Get(ctx).Step("filter and sort the key-value pairs")
	return resp, nil
}

// applyCompare evaluates one comparison against the store (etcd's applyCompare): it reads the
// compared range, and chapter 01's txn01.CompareKVs says whether every pair in it satisfies c.
func applyCompare(ctx context.Context, rv ReadView, c *pb.Compare) bool {
	rr, err := rv.Range(ctx, c.Key, mkGteRange(c.RangeEnd), mvcc.RangeOptions{})
	if err != nil {
		return false
	}
	return txn01.CompareKVs(c, rr.KVs)
}

// mkGteRange turns the API's "\x00" range end ("no upper bound") into the store's empty end.
func mkGteRange(rangeEnd []byte) []byte {
	if len(rangeEnd) == 1 && rangeEnd[0] == 0 {
		return []byte{}
	}
	return rangeEnd
}
