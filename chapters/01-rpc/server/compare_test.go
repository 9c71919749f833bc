package server

import (
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"github.com/stretchr/testify/require"
)

func TestTxnCompare(t *testing.T) {
	s := newTestServer(t)
	s.put(t, "k", "v1") // rev 2
	s.put(t, "k", "v2") // rev 3: k has create 2, mod 3, version 2
	s.put(t, "k2", "")  // rev 4: an empty value

	value := func(r pb.Compare_CompareResult, key, v string) *pb.Compare {
		return &pb.Compare{Key: []byte(key), Target: pb.Compare_VALUE, Result: r, TargetUnion: &pb.Compare_Value{Value: []byte(v)}}
	}
	version := func(r pb.Compare_CompareResult, key string, n int64) *pb.Compare {
		return &pb.Compare{Key: []byte(key), Target: pb.Compare_VERSION, Result: r, TargetUnion: &pb.Compare_Version{Version: n}}
	}
	tests := []struct {
		name string
		cmps []*pb.Compare
		want bool
	}{
		{"value equal", []*pb.Compare{value(pb.Compare_EQUAL, "k", "v2")}, true},
		{"value equal, wrong value", []*pb.Compare{value(pb.Compare_EQUAL, "k", "v1")}, false},
		{"value greater", []*pb.Compare{value(pb.Compare_GREATER, "k", "v1")}, true},
		{"value less", []*pb.Compare{value(pb.Compare_LESS, "k", "v3")}, true},
		{"value not equal", []*pb.Compare{value(pb.Compare_NOT_EQUAL, "k", "v1")}, true},
		{"empty value equals empty", []*pb.Compare{value(pb.Compare_EQUAL, "k2", "")}, true},
		{"missing key: a value comparison is always false", []*pb.Compare{value(pb.Compare_NOT_EQUAL, "nope", "x")}, false},
		{"missing key has version 0", []*pb.Compare{version(pb.Compare_EQUAL, "nope", 0)}, true},
		{"version", []*pb.Compare{version(pb.Compare_EQUAL, "k", 2)}, true},
		{"create revision", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_CREATE, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 2}}}, true},
		{"mod revision less", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_MOD, Result: pb.Compare_LESS, TargetUnion: &pb.Compare_ModRevision{ModRevision: 4}}}, true},
		{"lease 0", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_LEASE, TargetUnion: &pb.Compare_Lease{Lease: 0}}}, true},
		{"union holding another field compares with 0", []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_MOD, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 99}}}, true},
		{"range: every key must match", []*pb.Compare{{Key: []byte("k"), RangeEnd: []byte("l"), Target: pb.Compare_VERSION, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 1}}}, false},
		{"range: all keys created after 1", []*pb.Compare{{Key: []byte("k"), RangeEnd: []byte("l"), Target: pb.Compare_CREATE, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 1}}}, true},
		{"all comparisons must hold", []*pb.Compare{version(pb.Compare_EQUAL, "k", 2), value(pb.Compare_EQUAL, "k", "nope")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.kv.Txn(ctx(t), &pb.TxnRequest{
				Compare: tt.cmps,
				Success: []*pb.RequestOp{delOp("unrelated", "")},
				Failure: []*pb.RequestOp{delOp("unrelated", ""), delOp("unrelated2", "")},
			})
			require.NoError(t, err)
			require.Equal(t, tt.want, resp.Succeeded, "succeeded")
			wantOps := 2
			if tt.want {
				wantOps = 1
			}
			require.Len(t, resp.Responses, wantOps, "the responses are those of the branch that ran")
		})
	}
}
