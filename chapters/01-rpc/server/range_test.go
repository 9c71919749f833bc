package server

import (
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"github.com/stretchr/testify/require"
)

// rangeFixture writes, on a fresh store (revision 1):
//
//	rev 2: a=3    rev 3: b=2    rev 4: c=1    rev 5: b=9 (b: version 2)    rev 6: ca=0
func rangeFixture(t *testing.T) *testServer {
	s := newTestServer(t)
	for _, p := range [][2]string{{"a", "3"}, {"b", "2"}, {"c", "1"}, {"b", "9"}, {"ca", "0"}} {
		s.put(t, p[0], p[1])
	}
	return s
}

func keys(resp *pb.RangeResponse) []string {
	var out []string
	for _, kv := range resp.Kvs {
		out = append(out, string(kv.Key))
	}
	return out
}

func TestRange(t *testing.T) {
	s := rangeFixture(t)
	tests := []struct {
		name      string
		req       *pb.RangeRequest
		wantKeys  []string
		wantCount int64
		wantMore  bool
	}{
		{"single key", &pb.RangeRequest{Key: []byte("b")}, []string{"b"}, 1, false},
		{"missing key", &pb.RangeRequest{Key: []byte("zz")}, nil, 0, false},
		{"range [b, c) excludes its end", &pb.RangeRequest{Key: []byte("b"), RangeEnd: []byte("c")}, []string{"b"}, 1, false},
		{"prefix c", &pb.RangeRequest{Key: []byte("c"), RangeEnd: []byte("d")}, []string{"c", "ca"}, 2, false},
		{"from key b", &pb.RangeRequest{Key: []byte("b"), RangeEnd: []byte{0}}, []string{"b", "c", "ca"}, 3, false},
		{"all keys", &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}}, []string{"a", "b", "c", "ca"}, 4, false},
		{"limit keeps the first keys, count is the whole range", &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Limit: 2},
			[]string{"a", "b"}, 4, true},
		{"limit equal to the range is not more", &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Limit: 4},
			[]string{"a", "b", "c", "ca"}, 4, false},
		{"count only", &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, CountOnly: true}, nil, 4, false},
		{"sort by value ascending", &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, SortTarget: pb.RangeRequest_VALUE},
			[]string{"ca", "c", "a", "b"}, 4, false},
		{"sort by mod revision descending, limit 1: the newest write of all, not of the first two",
			&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, SortOrder: pb.RangeRequest_DESCEND, SortTarget: pb.RangeRequest_MOD, Limit: 1},
			[]string{"ca"}, 4, true},
		{"min mod revision 4: count is still the whole range", &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, MinModRevision: 4}, []string{"b", "c", "ca"}, 4, false},
		{"sort target without order: etcd sorts only the first limit+1 keys", &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, SortTarget: pb.RangeRequest_VALUE, Limit: 2},
			[]string{"c", "a"}, 4, true},
		{"at the current revision", &pb.RangeRequest{Key: []byte("b"), Revision: 6}, []string{"b"}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.kv.Range(ctx(t), tt.req)
			require.NoError(t, err)
			require.Equal(t, tt.wantKeys, keys(resp), "the keys etcd returns for %v", tt.req)
			require.Equal(t, tt.wantCount, resp.Count, "count: every key of the range, before filters and limit")
			require.Equal(t, tt.wantMore, resp.More, "more: whether the limit left keys out")
			require.Equal(t, int64(6), resp.Header.Revision, "a read reports the current revision")
			require.NotZero(t, resp.Header.MemberId, "the header is filled")
		})
	}
}

func TestRangeReturnsFullKeyValues(t *testing.T) {
	s := rangeFixture(t)
	resp, err := s.kv.Range(ctx(t), &pb.RangeRequest{Key: []byte("b")})
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	requireProtoEqual(t, kv("b", "9", 3, 5, 2), resp.Kvs[0], "b was created at 3 and rewritten at 5")

	resp, err = s.kv.Range(ctx(t), &pb.RangeRequest{Key: []byte("b"), KeysOnly: true})
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	require.Empty(t, resp.Kvs[0].Value, "keys_only drops the value")
	require.Equal(t, int64(2), resp.Kvs[0].Version, "keys_only keeps everything else")
}

func TestRangeErrors(t *testing.T) {
	s := rangeFixture(t)
	tests := []struct {
		name string
		req  *pb.RangeRequest
		want error
	}{
		{"empty key", &pb.RangeRequest{}, rpctypes.ErrGRPCEmptyKey},
		{"unknown sort order", &pb.RangeRequest{Key: []byte("a"), SortOrder: 99}, rpctypes.ErrGRPCInvalidSortOption},
		{"unknown sort target", &pb.RangeRequest{Key: []byte("a"), SortTarget: 99}, rpctypes.ErrGRPCInvalidSortOption},
		{"future revision", &pb.RangeRequest{Key: []byte("a"), Revision: 7}, rpctypes.ErrGRPCFutureRev},
		{"past revision: this store keeps no history", &pb.RangeRequest{Key: []byte("a"), Revision: 5}, rpctypes.ErrGRPCCompacted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.kv.Range(ctx(t), tt.req)
			requireStatus(t, tt.want, err)
		})
	}
	// The server keeps serving after bad requests.
	resp, err := s.kv.Range(ctx(t), &pb.RangeRequest{Key: []byte("a")})
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, keys(resp))
}
