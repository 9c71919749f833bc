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

// TestApplyCompareReadsTheComparedRange checks what this chapter adds to a comparison: its keys
// come from the MVCC store, where a range end of "\x00" means no upper bound. What a comparison
// means once the keys are read is chapter 01's txn.CompareKVs, tested there.
func TestApplyCompareReadsTheComparedRange(t *testing.T) {
	s := newStore(t)
	mustPut(t, s, "k", "v1") // 2
	mustPut(t, s, "k", "v2") // 3: k has version 2
	mustPut(t, s, "k2", "")  // 4: k2 has version 1
	tr, err := s.Read()
	require.NoError(t, err)
	defer tr.End()

	versionIs := func(key, end string, n int64) *pb.Compare {
		c := &pb.Compare{Key: []byte(key), Target: pb.Compare_VERSION, TargetUnion: &pb.Compare_Version{Version: n}}
		if end != "" { // as from the wire: no range end is nil, and an empty one would mean "no upper bound"
			c.RangeEnd = []byte(end)
		}
		return c
	}
	tests := []struct {
		name  string
		c     *pb.Compare
		holds bool
	}{
		{"one key, read from the store", versionIs("k", "", 2), true},
		{"a key the store never had", versionIs("none", "", 0), true},
		{"[k, l) holds only if every key in it does", versionIs("k", "l", 2), false},
		{`"\x00" reads every key from k2 on`, versionIs("k2", "\x00", 1), true},
		{`"\x00" from k reads k2 too`, versionIs("k", "\x00", 2), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.holds, applyCompare(ctx(t), tr, tt.c), "whether %v holds at revision 4", tt.c)
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
