package v3rpc

import (
	"fmt"
	"math/rand/v2"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	v3rpc01 "etcdwalk/chapters/01-rpc/etcdserver/api/v3rpc"
	"etcdwalk/chapters/02-kvserver/storage"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// chain nests depth txns, each the only operation of its parent's success branch, with the
// operations of inner in the innermost one.
func chain(depth int, inner ...*pb.RequestOp) *pb.TxnRequest {
	t := &pb.TxnRequest{Success: inner}
	for range depth - 1 {
		t = &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestTxn{RequestTxn: t}}}}
	}
	return t
}

func decode(t *testing.T, maxTxnOps uint, b []byte) (*pb.TxnRequest, error) {
	t.Helper()
	var got pb.TxnRequest
	err := newCodec(maxTxnOps).Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &got)
	return &got, err
}

func putOf(k string, n int) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(k), Value: make([]byte, n)}}}
}

// TestCodecAnswersDeepTxnsAsEtcd: however deep a txn nests, it gets the answer etcd's
// checkTxnRequest gives, and the quota sees the cost etcd's costTxn computes.
func TestCodecAnswersDeepTxnsAsEtcd(t *testing.T) {
	tests := []struct {
		name    string
		txn     *pb.TxnRequest
		maxOps  uint
		wantErr error
	}{
		// 128 txns around an empty one: each level takes one operation of the 128.
		{"129 levels fit 128 operations", chain(129), 128, nil},
		{"130 do not", chain(130), 128, rpctypes.ErrGRPCTooManyOps},
		{"5000 levels, still decoded as they are", chain(5000), 128, rpctypes.ErrGRPCTooManyOps},
		{"5001 levels, past protobuf's recursion limit", chain(5001), 128, rpctypes.ErrGRPCTooManyOps},
		{"a put at the bottom, 20000 levels down", chain(20000, putOf("deep", 10)), 128, rpctypes.ErrGRPCTooManyOps},
		{"an error above the cut comes first, as in etcd", &pb.TxnRequest{Success: []*pb.RequestOp{putOf("", 1), {Request: &pb.RequestOp_RequestTxn{RequestTxn: chain(6000)}}}}, 128, rpctypes.ErrGRPCEmptyKey},
		{"--max-txn-ops 6000 lets 6001 levels through", chain(6001), 6000, nil},
		{"and refuses 6002", chain(6002), 6000, rpctypes.ErrGRPCTooManyOps},
		{"a small --max-txn-ops cuts early", chain(7000, putOf("deep", 10)), 2, rpctypes.ErrGRPCTooManyOps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := proto.Marshal(tt.txn)
			require.NoError(t, err)
			got, err := decode(t, tt.maxOps, b)
			require.NoError(t, err, "the codec decodes the txn, however deep, instead of failing with Internal")
			require.Equal(t, tt.wantErr, v3rpc01.CheckTxnRequest(got, int(tt.maxOps)), "etcd's answer to this txn")
			require.Equal(t, storage.Cost(tt.txn), storage.Cost(got), "the quota charges what it charges for the whole txn")
		})
	}

	var plain pb.TxnRequest
	b, err := proto.Marshal(chain(5001))
	require.NoError(t, err)
	err = proto.Unmarshal(b, &plain)
	require.Error(t, err, "protobuf-go refuses 5001 levels: this is what the codec works around")
	require.True(t, isRecursionLimit(err), "protobuf's error text changed (%q): update isRecursionLimit", err)
}

func TestCodecPassesOtherMessagesAndMalformedTxnsThrough(t *testing.T) {
	c := newCodec(128)
	b, err := proto.Marshal(&pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.NoError(t, err)
	var put pb.PutRequest
	require.NoError(t, c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &put))
	require.Equal(t, "k", string(put.Key))
	out, err := c.Marshal(&put)
	require.NoError(t, err)
	require.Equal(t, b, out.Materialize(), "Marshal is gRPC's")

	deep, err := proto.Marshal(chain(6000))
	require.NoError(t, err)
	for _, bad := range [][]byte{{0x12, 0x05, 0x01}, {0xff}, deep[:len(deep)/2]} {
		_, err := decode(t, 128, bad)
		require.Error(t, err, "a malformed txn is an unmarshal error (gRPC's Internal), never a panic: % x", bad[:min(len(bad), 8)])
	}
}

// TestWireTxnCostsIsCostTxn compares the wire-level cost with storage.Cost on what protobuf
// decodes, for random txns and for encodings that only protobuf's merging rules explain.
func TestWireTxnCostsIsCostTxn(t *testing.T) {
	// field encodes m as the length-delimited field num; msg concatenates fields into a message.
	field := func(num protowire.Number, m proto.Message) []byte {
		v, err := proto.Marshal(m)
		require.NoError(t, err)
		return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
	}
	msg := func(fields ...[]byte) (out []byte) {
		for _, f := range fields {
			out = append(out, f...)
		}
		return out
	}
	// op is a RequestOp field of a txn's branch holding the given RequestOp fields as they are.
	op := func(branch protowire.Number, fields ...[]byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, branch, protowire.BytesType), msg(fields...))
	}
	putMsg := func(k string, n int) *pb.PutRequest { return &pb.PutRequest{Key: []byte(k), Value: make([]byte, n)} }
	rangeMsg := &pb.RangeRequest{Key: []byte("a")}
	cases := map[string][]byte{
		"a branch given twice adds up": msg(field(txnSuccess, putOf("a", 5)), field(txnFailure, putOf("b", 1)), field(txnSuccess, putOf("c", 7))),
		"a later put's key replaces an earlier one, its value stays": op(txnSuccess,
			field(opRequestPut, putMsg("a", 100)), field(opRequestPut, &pb.PutRequest{Key: []byte("bbbb")})),
		"an op switching from put to range costs nothing": op(txnSuccess, field(opRequestPut, putMsg("a", 100)), field(1, rangeMsg)),
		"an op switching from range to put costs the put": op(txnSuccess, field(1, rangeMsg), field(opRequestPut, putMsg("a", 100))),
		"a nested txn given twice merges": op(txnFailure,
			field(opRequestTxn, &pb.TxnRequest{Success: []*pb.RequestOp{putOf("a", 10)}}),
			field(opRequestTxn, &pb.TxnRequest{Success: []*pb.RequestOp{putOf("b", 20)}, Failure: []*pb.RequestOp{putOf("c", 1)}})),
		"a branch in the wrong wire type is an unknown field": msg(
			protowire.AppendVarint(protowire.AppendTag(nil, txnSuccess, protowire.VarintType), 9), field(txnSuccess, putOf("x", 3))),
	}
	check := func(name string, b []byte) {
		t.Helper()
		var m pb.TxnRequest
		require.NoError(t, proto.Unmarshal(b, &m), name)
		s, f, err := wireTxnCosts(b)
		require.NoError(t, err, name)
		require.Equal(t, storage.Cost(&m), max(s, f), "%s: the wire-level cost must be costTxn's on the decoded txn", name)
		var stub pb.TxnRequest
		require.NoError(t, proto.Unmarshal(stubTxn(s, f), &stub), name)
		require.Equal(t, storage.Cost(&m), storage.Cost(&stub), "%s: the stub that stands for the txn costs what it costs", name)
	}
	for name, b := range cases {
		check(name, b)
	}

	rng := rand.New(rand.NewPCG(8, 8))
	var gen func(depth int) *pb.TxnRequest
	gen = func(depth int) *pb.TxnRequest {
		t := &pb.TxnRequest{}
		for range rng.IntN(4) {
			var o *pb.RequestOp
			switch k := rng.IntN(4); {
			case k == 0 && depth < 6:
				o = &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: gen(depth + 1)}}
			case k == 1:
				o = &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("r")}}}
			default:
				o = putOf(string(make([]byte, rng.IntN(5))), rng.IntN(50))
			}
			if rng.IntN(2) == 0 {
				t.Success = append(t.Success, o)
			} else {
				t.Failure = append(t.Failure, o)
			}
		}
		return t
	}
	for i := range 300 {
		b, err := proto.Marshal(gen(0))
		require.NoError(t, err)
		check(fmt.Sprintf("random txn %d", i), b)
	}
}
