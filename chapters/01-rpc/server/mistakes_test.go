package server

import (
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"github.com/stretchr/testify/require"
)

// TestTxnWritesNothingWhenRefused catches the mistake the Txn exercise is about: checking each
// operation only as it runs, so that a txn refused at its second operation has already written
// its first. The mutants in testdata/mutants make such mistakes in the reference code.
func TestTxnWritesNothingWhenRefused(t *testing.T) {
	s := newTestServer(t)
	leased := &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("leased"), Lease: 5}}}
	_, err := s.kv.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{putOp("first", "1"), leased}})
	requireStatus(t, rpctypes.ErrGRPCLeaseNotFound, err, "there are no leases yet: a put naming one is refused")

	resp, err := s.kv.DeleteRange(ctx(t), &pb.DeleteRangeRequest{Key: []byte("first")})
	require.NoError(t, err)
	require.Zero(t, resp.Deleted,
		"the refused txn wrote its first put: its operations were checked one by one as they ran. Check them all (checkTxnOps) before the first write: a txn applies whole or not at all")
}
