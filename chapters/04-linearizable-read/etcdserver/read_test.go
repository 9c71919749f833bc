package etcdserver

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3rpc"
	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Chapter 03's stale read, now refused: a follower cut off from the leader cannot confirm a read
// index, so a linearizable read waits, then fails with etcd's error, through the member as through
// its gRPC server. A serializable read on the same follower still answers from its own store,
// stale: that is what serializable means.
func TestClusterPartitionedFollowerRefusesStaleRead(t *testing.T) {
	const reqTimeout = time.Second
	c := newTestCluster(t, 3, reqTimeout)
	lead := c.leader(t)
	f := c.followers(lead)[0]
	put(t, lead, "k", "old")
	require.Eventually(t, func() bool { v, _ := get(ctxT(t), f, "k", true); return v == "old" }, 10*time.Second, time.Millisecond)

	c.net.Isolate(f.ID())
	put(t, lead, "k", "new") // the other two are a majority
	conn := servetest.Dial(t, v3rpc.Server(f, false, nil))
	kv, cluster := pb.NewKVClient(conn), pb.NewClusterClient(conn)

	rng := &pb.RangeRequest{Key: []byte("k")}
	readTxn := &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: rng}}}}
	tests := []struct {
		name string
		read func(ctx context.Context) error
		grpc bool // the error is the gRPC status a client sees
	}{
		{"EtcdServer.Range", func(ctx context.Context) error { _, err := f.Range(ctx, rng); return err }, false},
		{"EtcdServer.Txn, read-only", func(ctx context.Context) error { _, err := f.Txn(ctx, readTxn); return err }, false},
		{"gRPC KV.Range", func(ctx context.Context) error { _, err := kv.Range(ctx, rng); return err }, true},
		{"gRPC Cluster.MemberList, linearizable (etcdctl's default)", func(ctx context.Context) error {
			_, err := cluster.MemberList(ctx, &pb.MemberListRequest{Linearizable: true})
			return err
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := tt.read(ctxT(t))
			require.Error(t, err, "a linearizable read on a partitioned follower must not answer (it would say k=old)")
			require.GreaterOrEqual(t, time.Since(start), reqTimeout, "the read waits for the request timeout before it gives up")
			if tt.grpc {
				st, want := status.Convert(err), status.Convert(rpctypes.ErrGRPCTimeout)
				require.Equal(t, want.Code(), st.Code(), "etcd's code for a read index that never came")
				require.Equal(t, want.Message(), st.Message(), "etcd's message for a read index that never came")
			} else {
				require.ErrorIs(t, err, etcderr.ErrTimeout)
			}
		})
	}

	v, err := get(ctxT(t), f, "k", true)
	require.NoError(t, err)
	require.Equal(t, "old", v, "a serializable read is served from the follower's own store: stale while it is cut off")
	_, err = cluster.MemberList(ctxT(t), &pb.MemberListRequest{})
	require.NoError(t, err, "a serializable member list is answered by the follower alone")

	c.net.Heal()
	require.Eventually(t, func() bool {
		v, err := get(ctxT(t), f, "k", false)
		return err == nil && v == "new"
	}, 10*time.Second, 10*time.Millisecond, "once healed, the follower's linearizable read answers the latest write")
}

// A write acknowledged by any member is seen by a linearizable read on every other member right
// away: no retry, no waiting for the followers to catch up. In chapter 03, which reads the local
// store, the followers often answer the value before.
func TestClusterLinearizableReadSeesEveryAcknowledgedWrite(t *testing.T) {
	c := newTestCluster(t, 3, time.Second)
	c.leader(t)
	for i := range 30 {
		w := c.members[i%3]
		value := string(rune('a' + i%26))
		put(t, w, "k", value)
		for _, r := range c.members {
			v, err := get(ctxT(t), r, "k", false)
			require.NoError(t, err)
			require.Equal(t, value, v, "write %d went through member %x; member %x read the value before it", i, w.ID(), r.ID())
		}
	}
}

// Reads that arrive while a round is in flight share the next round: many concurrent reads take
// few ReadIndex rounds, and every one of them sees the write acknowledged before they began.
func TestClusterConcurrentReadsShareReadIndexRounds(t *testing.T) {
	const reads = 400
	c := newTestCluster(t, 3, 5*time.Second)
	lead := c.leader(t)
	for _, s := range []*EtcdServer{lead, c.followers(lead)[0]} {
		put(t, lead, "k", s.Cfg.Name)
		before := s.ReadIndexRounds()
		var wg sync.WaitGroup
		errs := make(chan error, reads)
		for range reads {
			wg.Go(func() {
				v, err := get(ctxT(t), s, "k", false)
				if err == nil && v != s.Cfg.Name {
					err = fmt.Errorf("read %q, want %q", v, s.Cfg.Name)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err, "every read on member %s must see the write before it", s.Cfg.Name)
		}
		rounds := s.ReadIndexRounds() - before
		t.Logf("member %s (leader: %v): %d concurrent reads took %d ReadIndex rounds", s.Cfg.Name, s == lead, reads, rounds)
		require.LessOrEqual(t, rounds*10, uint64(reads), "%d reads took %d rounds: reads in flight together must share rounds", reads, rounds)
	}
}

// A leader change while a round waits for its read index fails the round with etcd's retryable
// error: the read index the old leader may still send is of no use under the new one.
func TestClusterLeaderChangeFailsTheRound(t *testing.T) {
	c := newTestCluster(t, 3, 5*time.Second)
	lead := c.leader(t)
	f := c.followers(lead)
	put(t, lead, "k", "v")

	c.net.Isolate(lead.ID()) // the followers elect one of them; f[0]'s ReadIndex goes nowhere
	start := time.Now()
	_, err := get(ctxT(t), f[0], "k", false)
	require.ErrorIs(t, err, etcderr.ErrLeaderChanged, "the round began under the old leader and must fail when the new one is known")
	require.Less(t, time.Since(start), 5*time.Second, "the read fails as soon as the leader changes, not at the request timeout")

	v, err := get(ctxT(t), f[0], "k", false)
	require.NoError(t, err, "the next read is served under the new leader")
	require.Equal(t, "v", v)
}

// A read waiting for its round when the member stops gets ErrStopped, not a hang.
func TestClusterStopFailsWaitingReads(t *testing.T) {
	c := newTestCluster(t, 3, 5*time.Second)
	lead := c.leader(t)
	f := c.followers(lead)[0]
	c.net.Isolate(f.ID())
	errc := make(chan error, 1)
	go func() { _, err := get(ctxT(t), f, "k", false); errc <- err }()
	require.Eventually(t, func() bool { return f.ReadIndexRounds() > 0 }, 10*time.Second, time.Millisecond, "the read never started a round")
	require.NoError(t, f.Stop())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, etcderr.ErrStopped)
	case <-time.After(5 * time.Second):
		t.Fatal("a read waiting on a stopped member never returned")
	}
}

// A follower cut off long enough stops believing in its leader. A read that asks for a leader
// (clientv3.WithRequireLeader's metadata) then fails at once with etcd's "no leader", from the
// gRPC interceptor; one that does not waits for its ReadIndex and times out, as above.
func TestClusterNoLeaderRefusesRequireLeaderReads(t *testing.T) {
	c := newTestCluster(t, 3, time.Second)
	lead := c.leader(t)
	f := c.followers(lead)[0]
	kv := pb.NewKVClient(servetest.Dial(t, v3rpc.Server(f, false, nil)))
	c.net.Isolate(f.ID())
	require.Eventually(t, func() bool { return f.Lead() == 0 }, 10*time.Second, time.Millisecond,
		"an isolated follower gives up on its leader after an election timeout")

	ctx := metadata.AppendToOutgoingContext(ctxT(t), rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader)
	start := time.Now()
	_, err := kv.Range(ctx, &pb.RangeRequest{Key: []byte("k")})
	want := status.Convert(rpctypes.ErrGRPCNoLeader)
	require.Equal(t, want.Code(), status.Code(err), "etcd's code for no leader")
	require.Equal(t, want.Message(), status.Convert(err).Message(), "etcd's message for no leader")
	require.Less(t, time.Since(start), time.Second, "refused at once, not after the request timeout")
}
