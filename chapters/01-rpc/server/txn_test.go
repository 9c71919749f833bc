package server

import (
	"etcdwalk/chapters/01-rpc/config"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"github.com/stretchr/testify/require"
)

func putOp(key, value string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(key), Value: []byte(value)}}}
}

func delOp(key, end string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte(key), RangeEnd: []byte(end)}}}
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
		{"operation without a request", &pb.TxnRequest{Success: []*pb.RequestOp{{}}}, rpctypes.ErrGRPCKeyNotFound},
		{"same key put twice", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("k", "1"), putOp("k", "2")}}, rpctypes.ErrGRPCDuplicateKey},
		{"put inside a deleted range", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("kb", "1"), delOp("k", "l")}}, rpctypes.ErrGRPCDuplicateKey},
		{"put after a from-key delete (etcd-io/etcd#22395)", &pb.TxnRequest{Success: []*pb.RequestOp{delOp("a", "\x00"), putOp("k", "1")}}, rpctypes.ErrGRPCDuplicateKey},
		{"put after deleting the key", &pb.TxnRequest{Failure: []*pb.RequestOp{delOp("k", ""), putOp("k", "1")}}, rpctypes.ErrGRPCDuplicateKey},
		{"unknown lease in the chosen branch", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("ok", "1"), leased}}, rpctypes.ErrGRPCLeaseNotFound},
		{"ignore_value on a missing key", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("ok", "1"), ignoreMissing}}, rpctypes.ErrGRPCKeyNotFound},
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
