package txn

import (
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"

	"github.com/stretchr/testify/require"
)

func TestCompareKVs(t *testing.T) {
	// k was put at 2 and again at 3; e holds an empty value.
	k := &mvccpb.KeyValue{Key: []byte("k"), Value: []byte("v2"), CreateRevision: 2, ModRevision: 3, Version: 2}
	e := &mvccpb.KeyValue{Key: []byte("k2"), CreateRevision: 4, ModRevision: 4, Version: 1}
	missing := []*mvccpb.KeyValue(nil)
	cmpValue := func(r pb.Compare_CompareResult, v string) *pb.Compare {
		return &pb.Compare{Target: pb.Compare_VALUE, Result: r, TargetUnion: &pb.Compare_Value{Value: []byte(v)}}
	}
	cmpVersion := func(r pb.Compare_CompareResult, n int64) *pb.Compare {
		return &pb.Compare{Target: pb.Compare_VERSION, Result: r, TargetUnion: &pb.Compare_Version{Version: n}}
	}
	tests := []struct {
		name string
		c    *pb.Compare
		kvs  []*mvccpb.KeyValue
		want bool
	}{
		{"value equal", cmpValue(pb.Compare_EQUAL, "v2"), []*mvccpb.KeyValue{k}, true},
		{"value equal to another value", cmpValue(pb.Compare_EQUAL, "v1"), []*mvccpb.KeyValue{k}, false},
		{"value greater, byte order", cmpValue(pb.Compare_GREATER, "v1"), []*mvccpb.KeyValue{k}, true},
		{"value less, byte order", cmpValue(pb.Compare_LESS, "v3"), []*mvccpb.KeyValue{k}, true},
		{"value not equal", cmpValue(pb.Compare_NOT_EQUAL, "v1"), []*mvccpb.KeyValue{k}, true},
		{"an empty value equals the empty value", cmpValue(pb.Compare_EQUAL, ""), []*mvccpb.KeyValue{e}, true},
		{"a missing key has no value, so even NOT_EQUAL is false", cmpValue(pb.Compare_NOT_EQUAL, "x"), missing, false},
		{"a missing key has version 0", cmpVersion(pb.Compare_EQUAL, 0), missing, true},
		{"a missing key is not newer than version 0", cmpVersion(pb.Compare_GREATER, 0), missing, false},
		{"version", cmpVersion(pb.Compare_EQUAL, 2), []*mvccpb.KeyValue{k}, true},
		{"create revision", &pb.Compare{Target: pb.Compare_CREATE, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 2}}, []*mvccpb.KeyValue{k}, true},
		{"mod revision less", &pb.Compare{Target: pb.Compare_MOD, Result: pb.Compare_LESS, TargetUnion: &pb.Compare_ModRevision{ModRevision: 4}}, []*mvccpb.KeyValue{k}, true},
		{"lease 0", &pb.Compare{Target: pb.Compare_LEASE, TargetUnion: &pb.Compare_Lease{Lease: 0}}, []*mvccpb.KeyValue{k}, true},
		{"a union holding another field compares with 0", &pb.Compare{Target: pb.Compare_MOD, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 99}}, []*mvccpb.KeyValue{k}, true},
		{"an unknown result is not checked", &pb.Compare{Target: pb.Compare_MOD, Result: 9}, []*mvccpb.KeyValue{k}, true},
		{"a range holds only if every pair does", cmpVersion(pb.Compare_GREATER, 1), []*mvccpb.KeyValue{k, e}, false},
		{"a range whose every pair holds", &pb.Compare{Target: pb.Compare_CREATE, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 1}}, []*mvccpb.KeyValue{k, e}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, CompareKVs(tt.c, tt.kvs), "etcd answers %v for %v over %d pair(s)", tt.want, tt.c, len(tt.kvs))
		})
	}
}
