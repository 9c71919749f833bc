package transport

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// inboxRaft records what it receives.
type inboxRaft struct {
	mu  sync.Mutex
	got []uint64 // the Index of each message, in arrival order
}

func (r *inboxRaft) Process(_ context.Context, m raftpb.Message) error {
	r.mu.Lock()
	r.got = append(r.got, m.Index)
	r.mu.Unlock()
	return nil
}

func (r *inboxRaft) received() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.got...)
}

func TestNetworkDeliversInOrderAndCutsPartitions(t *testing.T) {
	n := NewNetwork()
	r1, r2, r3 := &inboxRaft{}, &inboxRaft{}, &inboxRaft{}
	t1 := n.Join(1, r1)
	n.Join(2, r2)
	n.Join(3, r3)
	defer func() { n.Leave(1); n.Leave(2); n.Leave(3) }()

	t1.Send([]raftpb.Message{{To: 2, Index: 1}, {To: 2, Index: 2}, {To: 3, Index: 3}})
	require.Eventually(t, func() bool { return len(r2.received()) == 2 && len(r3.received()) == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []uint64{1, 2}, r2.received(), "messages to one member arrive in the order sent")
	require.False(t, t1.ActiveSince(2).IsZero(), "joined members are connected")

	n.Partition([]uint64{1}, []uint64{2, 3})
	require.True(t, t1.ActiveSince(2).IsZero(), "a cut link is down")
	t1.Send([]raftpb.Message{{To: 2, Index: 4}})
	n.Heal()
	t1.Send([]raftpb.Message{{To: 2, Index: 5}})
	require.Eventually(t, func() bool { return len(r2.received()) == 3 }, 5*time.Second, time.Millisecond)
	require.Equal(t, []uint64{1, 2, 5}, r2.received(), "what was sent across the cut is lost, what is sent after healing arrives")
	require.False(t, t1.ActiveSince(2).IsZero(), "a healed link is up again")

	n.Leave(3)
	require.True(t, t1.ActiveSince(3).IsZero(), "a member that left is unreachable")
	require.NotPanics(t, func() { t1.Send([]raftpb.Message{{To: 3, Index: 6}}) }, "sending to it drops the message")
}

func TestHeldMessagesWaitForDeliver(t *testing.T) {
	n := NewNetwork()
	r1, r2, r3 := &inboxRaft{}, &inboxRaft{}, &inboxRaft{}
	t1 := n.Join(1, r1)
	n.Join(2, r2)
	n.Join(3, r3)
	defer func() { n.Leave(1); n.Leave(2); n.Leave(3) }()
	n.Hold()

	t1.Send([]raftpb.Message{{From: 1, To: 2, Index: 1}, {From: 1, To: 3, Index: 2}, {From: 1, To: 1, Index: 3}})
	held, sends := n.Held()
	require.Len(t, held, 2, "both messages to others wait; a message to oneself is not sent")
	require.Equal(t, 1, sends)
	require.Empty(t, r2.received(), "nothing arrives before Deliver")

	n.Isolate(3)
	delivered, dropped := n.Deliver(context.Background())
	require.Equal(t, []uint64{1}, indexes(delivered))
	require.Equal(t, []uint64{2}, indexes(dropped), "a message over a link cut since it was sent is dropped at delivery")
	require.Equal(t, []uint64{1}, r2.received(), "Deliver hands the message over before it returns")
	held, _ = n.Held()
	require.Empty(t, held)
}

func indexes(msgs []raftpb.Message) []uint64 {
	var out []uint64
	for _, m := range msgs {
		out = append(out, m.Index)
	}
	return out
}
