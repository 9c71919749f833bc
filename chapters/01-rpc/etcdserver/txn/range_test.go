package txn

import (
	"strings"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"

	"github.com/stretchr/testify/require"
)

func TestFetchLimit(t *testing.T) {
	tests := []struct {
		name string
		r    *pb.RangeRequest
		want int64
	}{
		{"no limit reads everything", &pb.RangeRequest{}, 0},
		{"a limit reads one more, to learn whether there are more", &pb.RangeRequest{Limit: 2}, 3},
		{"a negative limit is no limit", &pb.RangeRequest{Limit: -1}, 0},
		{"sorting needs the whole range", &pb.RangeRequest{Limit: 2, SortOrder: pb.RangeRequest_DESCEND}, 0},
		{"a sort target without an order does not", &pb.RangeRequest{Limit: 2, SortTarget: pb.RangeRequest_VALUE}, 3},
		{"a mod revision bound needs the whole range", &pb.RangeRequest{Limit: 2, MinModRevision: 1}, 0},
		{"a create revision bound needs the whole range", &pb.RangeRequest{Limit: 2, MaxCreateRevision: 9}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, FetchLimit(tt.r), "pairs to read from the store for %v", tt.r)
		})
	}
}

// pairs is a store's answer in key order: a=3 at 2, b=9 created at 3 and rewritten at 5 (version
// 2), c=1 at 4, ca=0 at 6.
func pairs() []*mvccpb.KeyValue {
	kv := func(k, v string, create, mod, ver int64) *mvccpb.KeyValue {
		return &mvccpb.KeyValue{Key: []byte(k), Value: []byte(v), CreateRevision: create, ModRevision: mod, Version: ver}
	}
	return []*mvccpb.KeyValue{kv("a", "3", 2, 2, 1), kv("b", "9", 3, 5, 2), kv("c", "1", 4, 4, 1), kv("ca", "0", 6, 6, 1)}
}

func TestSelectKVs(t *testing.T) {
	tests := []struct {
		name     string
		r        *pb.RangeRequest
		want     string // the keys, in the response's order
		wantMore bool
	}{
		{"no options: key order", &pb.RangeRequest{}, "a b c ca", false},
		{"limit keeps the first pairs", &pb.RangeRequest{Limit: 2}, "a b", true},
		{"a limit as large as the range is not more", &pb.RangeRequest{Limit: 4}, "a b c ca", false},
		{"value ascending", &pb.RangeRequest{SortOrder: pb.RangeRequest_ASCEND, SortTarget: pb.RangeRequest_VALUE}, "ca c a b", false},
		{"a target without an order ascends", &pb.RangeRequest{SortTarget: pb.RangeRequest_VALUE}, "ca c a b", false},
		{"key descending", &pb.RangeRequest{SortOrder: pb.RangeRequest_DESCEND}, "ca c b a", false},
		{"newest write first, limit 1", &pb.RangeRequest{SortOrder: pb.RangeRequest_DESCEND, SortTarget: pb.RangeRequest_MOD, Limit: 1}, "ca", true},
		{"create revision descending", &pb.RangeRequest{SortOrder: pb.RangeRequest_DESCEND, SortTarget: pb.RangeRequest_CREATE}, "ca c b a", false},
		{"version descending", &pb.RangeRequest{SortOrder: pb.RangeRequest_DESCEND, SortTarget: pb.RangeRequest_VERSION, Limit: 1}, "b", true},
		{"mod revision at least 4", &pb.RangeRequest{MinModRevision: 4}, "b c ca", false},
		{"mod revision at most 4", &pb.RangeRequest{MaxModRevision: 4}, "a c", false},
		{"create revision in [3, 4]", &pb.RangeRequest{MinCreateRevision: 3, MaxCreateRevision: 4}, "b c", false},
		{"the limit applies after the filter", &pb.RangeRequest{MinModRevision: 4, Limit: 2}, "b c", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more := SelectKVs(tt.r, pairs())
			var keys []string
			for _, kv := range got {
				keys = append(keys, string(kv.Key))
			}
			require.Equal(t, tt.want, strings.Join(keys, " "), "the pairs etcd answers %v with", tt.r)
			require.Equal(t, tt.wantMore, more, "whether etcd reports more pairs for %v", tt.r)
		})
	}
}

func TestSelectKVsKeysOnly(t *testing.T) {
	got, _ := SelectKVs(&pb.RangeRequest{KeysOnly: true}, pairs())
	require.Len(t, got, 4, "keys_only keeps every pair")
	for _, kv := range got {
		require.Nil(t, kv.Value, "keys_only drops the value of %s", kv.Key)
		require.NotZero(t, kv.ModRevision, "keys_only keeps everything but the value of %s", kv.Key)
	}
}
