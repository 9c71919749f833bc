package txn

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newStore(t *testing.T) *mvcc.Store {
	be, err := backend.Open(filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	s, err := mvcc.New(be)
	require.NoError(t, err)
	t.Cleanup(func() {
		s.Close()
		require.NoError(t, be.Close())
	})
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func putOp(k, v string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(k), Value: []byte(v)}}}
}

func rangeOp(k string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte(k)}}}
}

func txnOp(t *pb.TxnRequest) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: t}}
}

func mustPut(t *testing.T, s *mvcc.Store, k, v string) {
	_, err := Put(ctx(t), s, &pb.PutRequest{Key: []byte(k), Value: []byte(v)})
	require.NoError(t, err)
}

func TestTxnCompare(t *testing.T) {
	s := newStore(t)
	mustPut(t, s, "k", "v1") // 2
	mustPut(t, s, "k", "v2") // 3: create 2, mod 3, version 2
	mustPut(t, s, "k2", "")  // 4

	val := func(r pb.Compare_CompareResult, k, v string) *pb.Compare {
		return &pb.Compare{Key: []byte(k), Target: pb.Compare_VALUE, Result: r, TargetUnion: &pb.Compare_Value{Value: []byte(v)}}
	}
	ver := func(r pb.Compare_CompareResult, k string, n int64) *pb.Compare {
		return &pb.Compare{Key: []byte(k), Target: pb.Compare_VERSION, Result: r, TargetUnion: &pb.Compare_Version{Version: n}}
	}
	tests := []struct {
		name string
		cmps []*pb.Compare
		want bool
	}{
		{"value equal", []*pb.Compare{val(pb.Compare_EQUAL, "k", "v2")}, true},
		{"value equal, other value", []*pb.Compare{val(pb.Compare_EQUAL, "k", "v1")}, false},
		{"value greater", []*pb.Compare{val(pb.Compare_GREATER, "k", "v1")}, true},
		{"value less", []*pb.Compare{val(pb.Compare_LESS, "k", "v3")}, true},
		{"value not equal", []*pb.Compare{val(pb.Compare_NOT_EQUAL, "k", "v1")}, true},
		{"empty value equals empty", []*pb.Compare{val(pb.Compare_EQUAL, "k2", "")}, true},
		{"missing key: value comparisons are false", []*pb.Compare{val(pb.Compare_NOT_EQUAL, "none", "x")}, false},
		{"missing key has version 0", []*pb.Compare{ver(pb.Compare_EQUAL, "none", 0)}, true},
		{"version", []*pb.Compare{ver(pb.Compare_EQUAL, "k", 2)}, true},
		{"create revision", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_CREATE, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 2}}}, true},
		{"mod revision", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_MOD, Result: pb.Compare_LESS, TargetUnion: &pb.Compare_ModRevision{ModRevision: 4}}}, true},
		{"lease 0", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_LEASE, TargetUnion: &pb.Compare_Lease{Lease: 0}}}, true},
		{"union of another field compares with 0", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_MOD, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 99}}}, true},
		{"unknown result holds", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_MOD, Result: 9}}, true},
		{"range: every key must match", []*pb.Compare{{Key: []byte("k"), RangeEnd: []byte("l"), Target: pb.Compare_VERSION, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 1}}}, false},
		{"range from key", []*pb.Compare{{Key: []byte("k"), RangeEnd: []byte{0}, Target: pb.Compare_CREATE, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 1}}}, true},
		{"all must hold", []*pb.Compare{ver(pb.Compare_EQUAL, "k", 2), val(pb.Compare_EQUAL, "k", "no")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := Txn(ctx(t), s, &pb.TxnRequest{Compare: tt.cmps, Success: []*pb.RequestOp{rangeOp("k")}})
			require.NoError(t, err)
			require.Equal(t, tt.want, resp.Succeeded)
			wantOps := 0
			if tt.want {
				wantOps = 1
			}
			require.Len(t, resp.Responses, wantOps, "only the chosen branch runs")
		})
	}
}

func TestTxnNestedFollowsEachPath(t *testing.T) {
	s := newStore(t)
	mustPut(t, s, "a", "1") // 2
	isOne := &pb.Compare{Key: []byte("a"), Target: pb.Compare_VALUE, TargetUnion: &pb.Compare_Value{Value: []byte("1")}}
	isTwo := &pb.Compare{Key: []byte("a"), Target: pb.Compare_VALUE, TargetUnion: &pb.Compare_Value{Value: []byte("2")}}

	resp, err := Txn(ctx(t), s, &pb.TxnRequest{
		Compare: []*pb.Compare{isOne},
		Success: []*pb.RequestOp{
			txnOp(&pb.TxnRequest{Compare: []*pb.Compare{isTwo}, Success: []*pb.RequestOp{putOp("x", "then")}, Failure: []*pb.RequestOp{putOp("x", "else")}}),
			putOp("y", "outer"),
			rangeOp("x"),
		},
	})
	require.NoError(t, err)
	require.True(t, resp.Succeeded)
	inner := resp.Responses[0].GetResponseTxn()
	require.False(t, inner.Succeeded, "the nested comparisons are evaluated before anything runs: a is 1, not 2")
	require.Equal(t, int64(3), inner.Responses[0].GetResponsePut().Header.Revision)
	x := resp.Responses[2].GetResponseRange()
	require.Equal(t, "else", string(x.Kvs[0].Value), "a range after the nested txn sees its write")
	require.Equal(t, int64(3), resp.Header.Revision, "the whole txn is one revision")
}

func TestTxnIsAllOrNothing(t *testing.T) {
	tests := []struct {
		name string
		ops  []*pb.RequestOp
		want error
	}{
		{"unknown lease after a good put", []*pb.RequestOp{putOp("a", "1"), {Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("b"), Lease: 7}}}}, errors.ErrLeaseNotFound},
		{"ignore_value on a missing key", []*pb.RequestOp{putOp("a", "1"), {Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("none"), IgnoreValue: true}}}}, errors.ErrKeyNotFound},
		{"future revision in a nested txn", []*pb.RequestOp{putOp("a", "1"), txnOp(&pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("a"), Revision: 99}}}}})}, mvcc.ErrFutureRev},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			_, err := Txn(ctx(t), s, &pb.TxnRequest{Success: tt.ops})
			require.ErrorIs(t, err, tt.want)
			require.Equal(t, int64(1), s.Rev(), "a refused txn writes nothing")
		})
	}
}

func TestRangeLimitAndSort(t *testing.T) {
	s := newStore(t)
	for _, kv := range [][2]string{{"a", "3"}, {"b", "9"}, {"c", "1"}, {"d", "0"}} {
		mustPut(t, s, kv[0], kv[1])
	}
	all := func(r *pb.RangeRequest) *pb.RangeRequest { r.Key, r.RangeEnd = []byte{0}, []byte{0}; return r }
	tests := []struct {
		name     string
		req      *pb.RangeRequest
		wantKeys string
		wantMore bool
	}{
		{"limit", all(&pb.RangeRequest{Limit: 2}), "ab", true},
		{"sort by value ascending, limit 2", all(&pb.RangeRequest{SortOrder: pb.RangeRequest_ASCEND, SortTarget: pb.RangeRequest_VALUE, Limit: 2}), "dc", true},
		// With a target but no order, etcd reads limit+1 keys in key order first, then sorts them.
		{"sort target without order, limit 2", all(&pb.RangeRequest{SortTarget: pb.RangeRequest_VALUE, Limit: 2}), "ca", true},
		{"descending by key", all(&pb.RangeRequest{SortOrder: pb.RangeRequest_DESCEND}), "dcba", false},
		{"mod revision at least 4", all(&pb.RangeRequest{MinModRevision: 4}), "cd", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := Range(ctx(t), s, tt.req)
			require.NoError(t, err)
			keys := ""
			for _, kv := range resp.Kvs {
				keys += string(kv.Key)
			}
			require.Equal(t, tt.wantKeys, keys)
			require.Equal(t, tt.wantMore, resp.More)
			require.Equal(t, int64(4), resp.Count, "count is the whole range")
		})
	}
}
