package etcdserver

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"
	"etcdwalk/chapters/03-propose-wait/transport"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
	"google.golang.org/protobuf/proto"
)

// The tests in this file each catch one mistake that the exercises ProposeWait and ApplyTrigger
// are about, and say which. Each also makes the mistake hurt every time, not only when a race
// goes the wrong way. The mutants in testdata/mutants make these mistakes in the reference code,
// and `make workshop-check` shows that these tests catch them.

// newSoloMember starts a one-member cluster with a short request timeout. prepare runs before the
// member starts, so that a test can wrap its parts.
func newSoloMember(t *testing.T, prepare func(*EtcdServer)) (*EtcdServer, *countingWait) {
	t.Helper()
	net := transport.NewNetwork()
	m := testMember("solo", "http://127.0.0.1:1")
	cfg := ServerConfig{Name: "solo", DataDir: t.TempDir(), Members: []membership.Member{m}, TickMs: 10, ElectionTicks: 10,
		RequestTimeout: time.Second}
	s, err := NewServer(cfg, net, WithStorage(NewMemoryLog().Opener()))
	require.NoError(t, err)
	cw := &countingWait{Wait: s.w, open: map[uint64]bool{}}
	s.w = cw
	if prepare != nil {
		prepare(s)
	}
	s.Start()
	t.Cleanup(func() {
		net.Leave(s.ID())
		require.NoError(t, s.Stop())
	})
	require.Eventually(t, s.IsLeader, 10*time.Second, 5*time.Millisecond, "a member alone elects itself")
	// The new leader's empty entry is applied: from now on only the test's requests are applied.
	require.Eventually(t, func() bool { return s.AppliedIndex() == s.CommittedIndex() }, 10*time.Second, time.Millisecond)
	return s, cw
}

// applyFirstNode returns from Propose only once the entry it proposed has been applied, as a
// proposer can find on a busy machine: raft, the apply loop and the trigger all run before the
// proposing goroutine is scheduled again. It also notes whether the proposed ID was registered.
type applyFirstNode struct {
	raft.Node
	s            *EtcdServer
	registered   *countingWait
	unregistered atomic.Bool // an ID was proposed before it was registered
}

func (n *applyFirstNode) Propose(ctx context.Context, data []byte) error {
	var r irpb.InternalRaftRequest
	if proto.Unmarshal(data, &r) == nil && r.Header != nil {
		n.registered.mu.Lock()
		if !n.registered.open[r.Header.ID] {
			n.unregistered.Store(true)
		}
		n.registered.mu.Unlock()
	}
	applied := n.s.AppliedIndex()
	if err := n.Node.Propose(ctx, data); err != nil {
		return err
	}
	for n.s.AppliedIndex() == applied && ctx.Err() == nil {
		time.Sleep(time.Millisecond) // one member, no other request: the next entry applied is this one
	}
	return nil
}

// Register after Propose: the entry may be applied before the ID is registered. The apply loop
// then finds nobody waiting for it, and the result is lost; the proposer waits for it in vain.
func TestClusterRegisterBeforePropose(t *testing.T) {
	var node *applyFirstNode
	s, cw := newSoloMember(t, func(s *EtcdServer) {
		node = &applyFirstNode{Node: s.r.Node, s: s, registered: s.w.(*countingWait)}
		s.r.Node = node
	})

	resp, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.False(t, node.unregistered.Load(),
		"Register after Propose: the request was proposed before its ID was registered, so the apply loop may apply it, find no waiter and drop the result; register the ID before proposing")
	require.NoError(t, err, "a put whose entry is applied before Propose returns")
	require.Equal(t, int64(2), resp.Header.Revision)
	require.Zero(t, cw.openCount(), "every registration was triggered")
}

// Trigger before Sync: the apply loop answers the proposer while the batch is still on its way to
// disk. The client hears "done" about a write that a crash would lose, and that readers of this
// member cannot see yet (Rev covers only what is synced).
func TestClusterTriggerOnlyAfterSync(t *testing.T) {
	var slowCommits atomic.Bool
	s, _ := newSoloMember(t, func(s *EtcdServer) {
		// With slowCommits, every bbolt commit takes a while: a write answered before its commit
		// ends is then answered while its revision is still invisible.
		s.be.AddHooks(backend.Hooks{PreCommit: func() {
			if slowCommits.Load() {
				time.Sleep(200 * time.Millisecond)
			}
		}})
	})

	slowCommits.Store(true)
	resp, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	rev := s.Rev() // at once: what a reader of this member sees when the client hears back
	slowCommits.Store(false)
	require.NoError(t, err)
	require.GreaterOrEqual(t, rev, resp.Header.Revision,
		"Trigger before Sync: the put was answered with revision %d while the member's store was durable only up to revision %d; return the pendingTrigger and let applyAll trigger it after the batch's Sync",
		resp.Header.Revision, rev)
}

// No Trigger on a Propose error: raft did not take the proposal, so no entry will ever carry the
// ID and the apply loop will never trigger it. Unless the proposer triggers it itself, the
// registration stays in the registry for good: one leak per failed request.
func TestClusterFailedProposeForgetsItsRegistration(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	f := c.followers(lead)[0]
	c.net.Isolate(f.ID())
	// Cut off, the follower stops hearing from the leader, starts a (pre-)election it cannot win,
	// and knows no leader any more. raft takes no proposal without a leader: Propose blocks until
	// the request's context ends, and fails with the context's error.
	require.Eventually(t, func() bool { return f.Lead() == raft.None }, 10*time.Second, time.Millisecond,
		"an isolated follower forgets its leader after an election timeout")

	ctx, cancel := context.WithTimeout(ctxT(t), 200*time.Millisecond)
	defer cancel()
	_, err := f.Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.ErrorIs(t, err, context.DeadlineExceeded, "Propose failed, and the member returns its error as it is, as etcd does")
	require.Zero(t, c.waits[indexOf(c.members, f)].openCount(),
		"a registration leaked after Propose failed: nobody will ever trigger that ID, so trigger it with nil before returning the error")
}
