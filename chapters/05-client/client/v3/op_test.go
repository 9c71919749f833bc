package clientv3

import (
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

func requireProto(t *testing.T, want, got proto.Message, msg string) {
	t.Helper()
	require.True(t, proto.Equal(want, got), "%s\nwant: %s\ngot:  %s", msg, prototext.Format(want), prototext.Format(got))
}

// A Get's options each land in their own RangeRequest field; the server sees nothing else.
func TestOpGetBecomesItsRangeRequest(t *testing.T) {
	tests := []struct {
		name string
		op   Op
		want *pb.RangeRequest
		why  string
	}{
		{"one key", OpGet("k"), &pb.RangeRequest{Key: []byte("k")}, "a Get of one key has no range end"},
		{"prefix", OpGet("ab", WithPrefix()), &pb.RangeRequest{Key: []byte("ab"), RangeEnd: []byte("ac")},
			"a prefix ends at the prefix with its last byte incremented"},
		{"prefix ending in 0xff", OpGet("a\xff", WithPrefix()), &pb.RangeRequest{Key: []byte("a\xff"), RangeEnd: []byte("b")},
			"0xff cannot be incremented: drop it and increment the byte before"},
		{"prefix of 0xff only", OpGet("\xff\xff", WithPrefix()), &pb.RangeRequest{Key: []byte("\xff\xff"), RangeEnd: []byte{0}},
			"no key follows every key that starts with 0xff 0xff: the range runs to the end (\"\\x00\")"},
		{"empty prefix", OpGet("", WithPrefix()), &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}},
			"the empty prefix is every key: from \"\\x00\" to the end"},
		{"from key", OpGet("k", WithFromKey()), &pb.RangeRequest{Key: []byte("k"), RangeEnd: []byte{0}},
			"from a key on: range end \"\\x00\""},
		{"range", OpGet("a", WithRange("c")), &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte("c")}, "WithRange is the range end"},
		{"every range field", OpGet("k", WithRev(7), WithLimit(3), WithSerializable(), WithKeysOnly(), WithCountOnly(),
			WithMinModRev(1), WithMaxModRev(2), WithMinCreateRev(3), WithMaxCreateRev(4)),
			&pb.RangeRequest{Key: []byte("k"), Revision: 7, Limit: 3, Serializable: true, KeysOnly: true, CountOnly: true,
				MinModRevision: 1, MaxModRevision: 2, MinCreateRevision: 3, MaxCreateRevision: 4},
			"every option of the Op must reach the request: a dropped Serializable makes every read linearizable, a dropped Revision reads the present"},
		{"sort", OpGet("k", WithSort(SortByModRevision, SortDescend)),
			&pb.RangeRequest{Key: []byte("k"), SortTarget: pb.RangeRequest_MOD, SortOrder: pb.RangeRequest_DESCEND},
			"the sort target and order are sent"},
		{"sort by key ascending", OpGet("k", WithSort(SortByKey, SortAscend)), &pb.RangeRequest{Key: []byte("k")},
			"by key ascending is the server's order: sent as no sort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireProto(t, tt.want, tt.op.toRangeRequest(), tt.why)
			requireProto(t, &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: tt.want}}, tt.op.toRequestOp(),
				"inside a Txn, a Get is a RequestOp_RequestRange of the same request")
		})
	}
}

// Puts, deletes and txns inside a Txn become their own kinds of RequestOp, with every field.
func TestOpInATxnBecomesItsRequestOp(t *testing.T) {
	put := &pb.PutRequest{Key: []byte("k"), Value: []byte("v"), Lease: 5, PrevKv: true, IgnoreValue: true, IgnoreLease: true}
	del := &pb.DeleteRangeRequest{Key: []byte("a"), RangeEnd: []byte("b"), PrevKv: true}
	tests := []struct {
		name string
		op   Op
		want *pb.RequestOp
	}{
		{"put", OpPut("k", "v", WithLease(5), WithPrevKV(), WithIgnoreValue(), WithIgnoreLease()),
			&pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: put}}},
		{"delete", OpDelete("a", WithPrefix(), WithPrevKV()),
			&pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: del}}},
		{"txn", OpTxn([]Cmp{Compare(Value("k"), "=", "v")}, []Op{OpGet("k")}, []Op{OpDelete("a", WithPrefix(), WithPrevKV())}),
			&pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{
				Compare: []*pb.Compare{{Key: []byte("k"), Target: pb.Compare_VALUE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_Value{Value: []byte("v")}}},
				Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("k")}}}},
				Failure: []*pb.RequestOp{{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: del}}},
			}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireProto(t, tt.want, tt.op.toRequestOp(), "each kind of Op has its own RequestOp, with every field of the Op")
		})
	}
}

func TestCompareBuildsEtcdsCompare(t *testing.T) {
	tests := []struct {
		name string
		cmp  Cmp
		want *pb.Compare
	}{
		{"value", Compare(Value("k"), "!=", "v"),
			&pb.Compare{Key: []byte("k"), Target: pb.Compare_VALUE, Result: pb.Compare_NOT_EQUAL, TargetUnion: &pb.Compare_Value{Value: []byte("v")}}},
		{"version", Compare(Version("k"), ">", 2),
			&pb.Compare{Key: []byte("k"), Target: pb.Compare_VERSION, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 2}}},
		{"create", Compare(CreateRevision("k"), "<", int64(9)),
			&pb.Compare{Key: []byte("k"), Target: pb.Compare_CREATE, Result: pb.Compare_LESS, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 9}}},
		{"mod over a prefix", Compare(ModRevision("p/"), "=", 3).WithPrefix(),
			&pb.Compare{Key: []byte("p/"), RangeEnd: []byte("p0"), Target: pb.Compare_MOD, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_ModRevision{ModRevision: 3}}},
		{"lease", Compare(LeaseValue("k"), "=", LeaseID(4)),
			&pb.Compare{Key: []byte("k"), Target: pb.Compare_LEASE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_Lease{Lease: 4}}},
		{"no value yet", Value("k"), &pb.Compare{Key: []byte("k"), Target: pb.Compare_VALUE}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireProto(t, tt.want, tt.cmp.toCompare(), "the Compare etcd's client would send")
		})
	}
}

// The constructors refuse what etcd's refuse, before anything is sent.
func TestOpConstructorsRefuseContradictoryOptions(t *testing.T) {
	tests := []struct {
		name string
		make func()
		want string
	}{
		{"prefix and from key", func() { OpGet("k", WithPrefix(), WithFromKey()) }, "`WithPrefix` and `WithFromKey` cannot be set at the same time, choose one"},
		{"delete at a revision", func() { OpDelete("k", WithRev(3)) }, "unexpected revision in delete"},
		{"put over a range", func() { OpPut("k", "v", WithRange("z")) }, "unexpected range in put"},
		{"serializable put", func() { OpPut("k", "v", WithSerializable()) }, "unexpected serializable in put"},
		{"If after Then", func() { (&txn{}).Then().If() }, "cannot call If after Then!"},
		{"bad result", func() { Compare(Value("k"), "~", "v") }, "Unknown result op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.PanicsWithValue(t, tt.want, tt.make)
		})
	}
	require.True(t, IsOptsWithPrefix([]OpOption{WithPrefix()}))
	require.True(t, IsOptsWithFromKey([]OpOption{WithLimit(1), WithFromKey()}))
	require.Equal(t, "ac", GetPrefixRangeEnd("ab"))
}
