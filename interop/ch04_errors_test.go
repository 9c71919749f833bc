package interop_test

import (
	"context"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/status"
)

// Chapter 04's members share one process, so no test from outside can cut one member off from the
// others while they go on: its own tests (chapters/04-linearizable-read/etcdserver) partition a
// member in-process, on chapter 03's in-memory network, and assert that a linearizable read there
// fails with rpctypes' ErrGRPCTimeout once the request timeout passes. What real etcd answers in
// the same state can be seen from outside, with one process per member; the test below pins it,
// so that the value chapter 04's tests assert is etcd's and stays so.

// ch04NoLeaderWithin bounds how long the survivor of TestChapter04EtcdLinearizableReadWithoutQuorum
// may take to notice that it has lost its quorum: etcd's leader steps down after an election
// timeout (1 s by default) without hearing from a quorum (raft's CheckQuorum, on in etcd).
const ch04NoLeaderWithin = 15 * time.Second

// TestChapter04EtcdLinearizableReadWithoutQuorum starts a real etcd of three processes, writes a
// key through the leader, stops both followers, waits until the leader has stepped down (its
// Status names no leader), and then sends it a linearizable Range with a 10 s gRPC deadline: real
// etcd must fail it with rpctypes.ErrGRPCTimeout (Unavailable, "etcdserver: request timed out")
// once its request timeout has passed (5 s + 2 election timeouts = 7 s by default), before the
// client's deadline; no member can confirm a read index. A serializable Range to the same member
// answers from its local store, with the key.
func TestChapter04EtcdLinearizableReadWithoutQuorum(t *testing.T) {
	t.Parallel()
	c := harness.StartEtcdCluster(t, 3)
	ctx := ctxWithTimeout(t)
	leader, err := c.Proc().Leader(ctx)
	require.NoError(t, err, "a fresh etcd cluster should have one leader all members name")
	survivor := c.Members[leader]
	kv := pb.NewKVClient(harness.Dial(t, survivor.Endpoint))
	maintenance := pb.NewMaintenanceClient(harness.Dial(t, survivor.Endpoint))
	_, err = kv.Put(ctx, &pb.PutRequest{Key: []byte("foo"), Value: []byte("bar")})
	require.NoError(t, err, "a put through the leader of a whole cluster should succeed")

	for i, m := range c.Members {
		if i != leader {
			m.Stop(t)
		}
	}
	d := eventually(ch04NoLeaderWithin, func() string {
		st, err := maintenance.Status(ctxWithTimeout(t), &pb.StatusRequest{})
		switch {
		case err != nil:
			return "Status: " + err.Error()
		case st.Leader != 0:
			return "it still names a leader"
		}
		return ""
	})
	require.Empty(t, d, "%s, alone of three, should step down and name no leader within %v", survivor.Name, ch04NoLeaderWithin)

	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err = kv.Range(rctx, &pb.RangeRequest{Key: []byte("foo")})
	took := time.Since(start)
	got := status.Convert(err)
	t.Logf("real etcd v%s, one member of three running, no leader: a linearizable Range failed after %v with code %v, message %q",
		harness.EtcdVersion, took.Round(10*time.Millisecond), got.Code(), got.Message())
	require.Error(t, err, "a linearizable Range to a member without a quorum should fail")
	want := status.Convert(rpctypes.ErrGRPCTimeout)
	assert.Equal(t, want.Code(), got.Code(), "a linearizable Range to a member without a quorum: the gRPC code of rpctypes.ErrGRPCTimeout (message %q)", got.Message())
	assert.Equal(t, want.Message(), got.Message(), "a linearizable Range to a member without a quorum: the message of rpctypes.ErrGRPCTimeout")

	resp, err := kv.Range(ctxWithTimeout(t), &pb.RangeRequest{Key: []byte("foo"), Serializable: true})
	require.NoError(t, err, "a serializable Range is served from the member's local store, without a quorum")
	require.Len(t, resp.Kvs, 1, "a serializable Range of foo on the member that acknowledged its put: %s", oneLine(resp))
	assert.Equal(t, "bar", string(resp.Kvs[0].Value), "a serializable Range of foo on the member that acknowledged its put")
}
