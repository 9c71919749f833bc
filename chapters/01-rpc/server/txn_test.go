package server

import (
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/config"

	"github.com/stretchr/testify/require"
)

func putOp(key, value string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(key), Value: []byte(value)}}}
}

func delOp(key, end string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte(key), RangeEnd: []byte(end)}}}
}

func rangeOp(r *pb.RangeRequest) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: r}}
}

func TestTxn(t *testing.T) {
	s := newTestServer(t)
	s.put(t, "a", "1") // rev 2

	resp, err := s.kv.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{putOp("x", "1"), putOp("y", "2"), delOp("a", "")}})
	require.NoError(t, err)
	require.True(t, resp.Succeeded, "no comparisons means success")
	require.Equal(t, int64(3), resp.Header.Revision, "all writes of a txn share one revision")
	require.Len(t, resp.Responses, 3)
	require.Equal(t, int64(3), resp.Responses[0].GetResponsePut().Header.Revision)
	require.Equal(t, int64(1), resp.Responses[2].GetResponseDeleteRange().Deleted)

	// A txn whose branch only reads creates no revision.
	resp, err = s.kv.Txn(ctx(t), &pb.TxnRequest{})
	require.NoError(t, err)
	require.Equal(t, int64(3), resp.Header.Revision, "an empty txn keeps the revision")

	// Puts inside the txn count versions like plain puts.
	resp, err = s.kv.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{
		{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("x"), Value: []byte("2"), PrevKv: true}}},
	}})
	require.NoError(t, err)
	requireProtoEqual(t, kv("x", "1", 3, 3, 1), resp.Responses[0].GetResponsePut().PrevKv)
}

// TestTxnCompare checks that a txn compares the keys its comparisons name, as they are before the
// txn, and runs the branch the answer chooses. What each comparison means is etcdserver/txn's
// TestCompareKVs.
func TestTxnCompare(t *testing.T) {
	s := newTestServer(t)
	s.put(t, "k", "v1") // rev 2
	s.put(t, "k", "v2") // rev 3: k has version 2
	s.put(t, "k2", "")  // rev 4: k2 has version 1

	version := func(key, end string, r pb.Compare_CompareResult, n int64) *pb.Compare {
		return &pb.Compare{Key: []byte(key), RangeEnd: []byte(end), Target: pb.Compare_VERSION, Result: r, TargetUnion: &pb.Compare_Version{Version: n}}
	}
	for _, tc := range []struct {
		name  string
		cmps  []*pb.Compare
		holds bool
	}{
		{"the compared key's own version", []*pb.Compare{version("k", "", pb.Compare_EQUAL, 2)}, true},
		{"another key's version is not looked at", []*pb.Compare{version("k2", "", pb.Compare_EQUAL, 2)}, false},
		{"a missing key has version 0", []*pb.Compare{version("nope", "", pb.Compare_EQUAL, 0)}, true},
		{"a range compares every key in it", []*pb.Compare{version("k", "l", pb.Compare_GREATER, 1)}, false},
		{"a range end of \\x00 means every key from the key on", []*pb.Compare{version("k2", "\x00", pb.Compare_EQUAL, 1)}, true},
		{"every comparison must hold", []*pb.Compare{version("k", "", pb.Compare_EQUAL, 2), version("k2", "", pb.Compare_EQUAL, 2)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.kv.Txn(ctx(t), &pb.TxnRequest{
				Compare: tc.cmps,
				Success: []*pb.RequestOp{delOp("unrelated", "")},
				Failure: []*pb.RequestOp{delOp("unrelated", ""), delOp("unrelated2", "")},
			})
			require.NoError(t, err)
			require.Equal(t, tc.holds, resp.Succeeded, "whether etcd finds the comparisons hold")
			wantOps := map[bool]int{true: 1, false: 2}[tc.holds]
			require.Len(t, resp.Responses, wantOps, "the responses are those of the branch that ran")
		})
	}
}

func TestTxnErrors(t *testing.T) {
	tooMany := make([]*pb.RequestOp, config.DefaultMaxTxnOps+1)
	for i := range tooMany {
		tooMany[i] = putOp(string(rune('a'+i%26))+string(rune('a'+i/26)), "v")
	}
	nested := &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{}}}
	leased := &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("l"), Lease: 5}}}
	ignoreMissing := &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("missing"), IgnoreValue: true}}}

	tests := []struct {
		name string
		req  *pb.TxnRequest
		want error
	}{
		{"too many operations", &pb.TxnRequest{Success: tooMany}, rpctypes.ErrGRPCTooManyOps},
		{"compare with empty key", &pb.TxnRequest{Compare: []*pb.Compare{{}}}, rpctypes.ErrGRPCEmptyKey},
		{"put with empty key", &pb.TxnRequest{Failure: []*pb.RequestOp{putOp("", "v")}}, rpctypes.ErrGRPCEmptyKey},
		{"same key put twice", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("k", "1"), putOp("k", "2")}}, rpctypes.ErrGRPCDuplicateKey},
		{"put inside a deleted range", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("kb", "1"), delOp("k", "l")}}, rpctypes.ErrGRPCDuplicateKey},
		{"put after a from-key delete (etcd-io/etcd#22395)", &pb.TxnRequest{Success: []*pb.RequestOp{delOp("a", "\x00"), putOp("k", "1")}}, rpctypes.ErrGRPCDuplicateKey},
		{"put after deleting the key", &pb.TxnRequest{Failure: []*pb.RequestOp{delOp("k", ""), putOp("k", "1")}}, rpctypes.ErrGRPCDuplicateKey},
		{"unknown lease in the chosen branch", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("ok", "1"), leased}}, rpctypes.ErrGRPCLeaseNotFound},
		{"ignore_value on a missing key", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("ok", "1"), ignoreMissing}}, rpctypes.ErrGRPCKeyNotFound},
		{"a range at a future revision after a put", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("ok", "1"), rangeOp(&pb.RangeRequest{Key: []byte("a"), Revision: 99})}}, rpctypes.ErrGRPCFutureRev},
		{"a range at a fixed revision after a put needs history", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("ok", "1"), rangeOp(&pb.RangeRequest{Key: []byte("a"), Revision: 1})}},
			unsupported("a range at a fixed revision after a write in the same txn")},
		{"nested txn is not served", &pb.TxnRequest{Success: []*pb.RequestOp{nested}}, unsupported("a txn nested inside a txn")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t)
			_, err := s.kv.Txn(ctx(t), tt.req)
			requireStatus(t, tt.want, err)
			// A refused txn writes nothing: the next write is still revision 2.
			require.Equal(t, int64(2), s.put(t, "after", "v"), "a refused txn must not have written anything")
		})
	}
}

func TestTxnAllowedShapes(t *testing.T) {
	tests := []struct {
		name string
		req  *pb.TxnRequest
	}{
		{"overlapping deletes", &pb.TxnRequest{Success: []*pb.RequestOp{delOp("a", "c"), delOp("b", "d")}}},
		{"the same key in both branches", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("k", "1")}, Failure: []*pb.RequestOp{putOp("k", "2")}}},
		{"128 operations", &pb.TxnRequest{Success: func() []*pb.RequestOp {
			ops := make([]*pb.RequestOp, config.DefaultMaxTxnOps)
			for i := range ops {
				ops[i] = delOp("k", "")
			}
			return ops
		}()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t)
			_, err := s.kv.Txn(ctx(t), tt.req)
			require.NoError(t, err)
		})
	}
}

// TestTxnRangeSeesEarlierWrites needs both exercises, Txn and Range, and both claim it.
func TestTxnRangeSeesEarlierWrites(t *testing.T) {
	s := rangeFixture(t)
	resp, err := s.kv.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{
		rangeOp(&pb.RangeRequest{Key: []byte("a")}),
		putOp("a", "new"),
		rangeOp(&pb.RangeRequest{Key: []byte("a")}),
	}})
	require.NoError(t, err)
	require.Len(t, resp.Responses, 3)
	before, after := resp.Responses[0].GetResponseRange(), resp.Responses[2].GetResponseRange()
	require.Equal(t, "3", string(before.Kvs[0].Value), "a range before the put sees the old value")
	require.Equal(t, int64(6), before.Header.Revision)
	require.Equal(t, "new", string(after.Kvs[0].Value), "a range after the put in the same txn sees the new value")
	require.Equal(t, int64(7), after.Header.Revision, "and the txn's revision")
	require.Equal(t, int64(7), resp.Header.Revision)
}
