package interop_test

import (
	"testing"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/status"
)

// TestChapter02FromKeyDeleteAndPutInOneTxn covers the one shape of request the differential test
// leaves out because real etcd v3.6.16 crashes on it: a txn that deletes a range from a key on
// (range_end "\x00") and puts a key inside that range. etcd's duplicate-key check builds the
// interval [key, "\x00"), which is empty, so it accepts the txn (etcd-io/etcd#22445; the open fix
// etcd-io/etcd#22395 refuses it as a duplicate key). Then:
//
//   - with ignore_value or ignore_lease on the put, the put finds its key deleted, and etcd
//     panics ("unexpected error during txn with writes"), again on every restart;
//   - a plain put is applied (a tombstone and a new value in one revision), and a compaction at
//     exactly that revision deletes the new value from bbolt while the index keeps it, so the
//     next read of the key is fatal ("range failed to find revision pair", etcd-io/etcd#22376).
//
// With no reference answer to compare with, chapter 02 must keep its own promises instead: a txn
// applies whole or not at all, and nothing acknowledged is lost. Refusing these txns (as
// etcd-io/etcd#22395 does) keeps both.
func TestChapter02FromKeyDeleteAndPutInOneTxn(t *testing.T) {
	t.Parallel()

	for _, c := range []struct {
		keeps string
		put   *pb.PutRequest
	}{
		{"value", &pb.PutRequest{Key: []byte("d"), IgnoreValue: true}},
		{"lease", &pb.PutRequest{Key: []byte("d"), Value: []byte("2"), IgnoreLease: true}},
	} {
		put := c.put
		t.Run("ignore_"+c.keeps+" on a key the same txn deleted", func(t *testing.T) {
			t.Parallel()
			ours := startCh02(t)
			kv := pb.NewKVClient(harness.Dial(t, ours.Endpoint))
			ctx := ctxWithTimeout(t)
			before, err := kv.Put(ctx, &pb.PutRequest{Key: []byte("d"), Value: []byte("1")})
			require.NoError(t, err)

			req := &pb.TxnRequest{Success: []*pb.RequestOp{
				{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte("a"), RangeEnd: []byte{0}}}},
				{Request: &pb.RequestOp_RequestPut{RequestPut: put}},
			}}
			resp, err := kv.Txn(ctx, req)
			require.Error(t, err, "txn %s: the put has no previous %s to keep once the delete before it has run, so the txn must be refused (real etcd v3.6.16 crashes here; etcd-io/etcd#22395 refuses it as a duplicate key); chapter 02 answered %s",
				oneLine(req), c.keeps, answerText(resp, err))

			after, rerr := kv.Range(ctx, &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}})
			require.NoError(t, rerr)
			require.Equal(t, before.Header.Revision, after.Header.Revision,
				"txn %s was refused (%s), so it must leave no trace, but the store moved from revision %d to %d: part of the txn was applied",
				oneLine(req), status.Convert(err).Message(), before.Header.Revision, after.Header.Revision)
			require.Len(t, after.Kvs, 1, "txn %s was refused (%s), so d must still be there; the store holds %s",
				oneLine(req), status.Convert(err).Message(), oneLine(after))
			require.Equal(t, "1", string(after.Kvs[0].Value))
		})
	}

	t.Run("a key deleted and put again in one txn survives a compaction at that revision", func(t *testing.T) {
		t.Parallel()
		ours := startCh02(t)
		kv := pb.NewKVClient(harness.Dial(t, ours.Endpoint))
		ctx := ctxWithTimeout(t)
		before, err := kv.Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v1")})
		require.NoError(t, err)

		req := &pb.TxnRequest{Success: []*pb.RequestOp{
			{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte("k"), RangeEnd: []byte{0}}}},
			{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("k"), Value: []byte("v2")}}},
		}}
		txn, err := kv.Txn(ctx, req)
		if err != nil {
			// Refused (as etcd-io/etcd#22395 would): then it must have changed nothing.
			get, rerr := kv.Range(ctx, &pb.RangeRequest{Key: []byte("k")})
			require.NoError(t, rerr)
			require.Equal(t, before.Header.Revision, get.Header.Revision, "txn %s was refused (%v) but the revision moved", oneLine(req), err)
			require.Len(t, get.Kvs, 1, "txn %s was refused (%v) but k is gone", oneLine(req), err)
			return
		}
		rev := txn.Header.Revision
		_, err = kv.Compact(ctx, &pb.CompactionRequest{Revision: rev, Physical: true})
		require.NoError(t, err)

		check := func(when string) {
			t.Helper()
			ctx := ctxWithTimeout(t)
			get, err := kv.Range(ctx, &pb.RangeRequest{Key: []byte("k")})
			require.NoError(t, err, "%s: txn %s put k=v2 at revision %d and was acknowledged; after a compaction at revision %d, k must still read v2 (real etcd v3.6.16 loses the value and dies on this read, etcd-io/etcd#22376)",
				when, oneLine(req), rev, rev)
			require.Len(t, get.Kvs, 1, "%s: k should still exist: %s", when, oneLine(get))
			require.Equal(t, "v2", string(get.Kvs[0].Value), "%s: k's value", when)
			require.Equal(t, rev, get.Kvs[0].ModRevision, "%s: k's mod revision", when)
		}
		check("after the compaction")
		ours.Stop(t)
		ours.Restart(t)
		kv = pb.NewKVClient(harness.Dial(t, ours.Endpoint))
		check("after a restart")
	})
}
