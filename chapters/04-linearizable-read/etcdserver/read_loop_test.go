package etcdserver

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/03-propose-wait/pkg/notify"
	"etcdwalk/chapters/03-propose-wait/pkg/wait"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
)

// scriptedRaft stands in for chapter 03's member under the read loop: the test sees every
// ReadIndex the loop sends and decides which ReadStates come back, when the member has applied
// how far, and when the leader changes. The loop's logic is then checked one step at a time, with
// no election or network timing in the way.
type scriptedRaft struct {
	sent          chan []byte // the tag of every ReadIndex, in order
	states        chan raft.ReadState
	applied       atomic.Uint64
	applyWait     wait.WaitTime
	leaderChanged *notify.Notifier
	firstCommit   *notify.Notifier
	stop          chan struct{}
	stopOnce      sync.Once
	// While held is set, the loop waits inside ReadIndex, after its tag is sent, until the test
	// sends on gate.
	held atomic.Bool
	gate chan struct{}
}

// halt stops the member.
func (r *scriptedRaft) halt() { r.stopOnce.Do(func() { close(r.stop) }) }

func (r *scriptedRaft) ReadIndex(_ context.Context, rctx []byte) error {
	held := r.held.Load()
	r.sent <- rctx
	if held {
		select {
		case <-r.gate:
		case <-r.stop:
		}
	}
	return nil
}
func (r *scriptedRaft) ReadStates() <-chan raft.ReadState        { return r.states }
func (r *scriptedRaft) AppliedIndex() uint64                     { return r.applied.Load() }
func (r *scriptedRaft) ApplyWait(index uint64) <-chan struct{}   { return r.applyWait.Wait(index) }
func (r *scriptedRaft) LeaderChangedNotify() <-chan struct{}     { return r.leaderChanged.Receive() }
func (r *scriptedRaft) FirstCommitInTermNotify() <-chan struct{} { return r.firstCommit.Receive() }
func (r *scriptedRaft) StopNotify() <-chan struct{}              { return r.stop }

// apply makes the member have applied up to index.
func (r *scriptedRaft) apply(index uint64) {
	r.applied.Store(index)
	r.applyWait.Trigger(index)
}

// nextTag is the tag of the next ReadIndex the loop sends. why says what the loop should have
// done otherwise.
func (r *scriptedRaft) nextTag(t *testing.T, why ...string) []byte {
	t.Helper()
	select {
	case tag := <-r.sent:
		return tag
	case <-time.After(5 * time.Second):
		if len(why) == 0 {
			why = []string{"a read must wake the loop, and the loop must ask raft"}
		}
		t.Fatalf("the read loop sent no ReadIndex: %s", why[0])
		return nil
	}
}

// noTag checks that the loop sends no ReadIndex for d.
func (r *scriptedRaft) noTag(t *testing.T, d time.Duration, why string) {
	t.Helper()
	select {
	case tag := <-r.sent:
		t.Fatalf("the read loop sent a ReadIndex (tag %x): %s", tag, why)
	case <-time.After(d):
	}
}

// newLoop runs the read loop over a scriptedRaft, with requests timing out after reqTimeout. The
// loop logs to logTo, if given.
func newLoop(t *testing.T, reqTimeout time.Duration, logTo ...io.Writer) (*EtcdServer, *scriptedRaft) {
	r := &scriptedRaft{
		sent: make(chan []byte, 100), states: make(chan raft.ReadState, 1),
		applyWait: wait.NewTimeList(), leaderChanged: notify.NewNotifier(), firstCommit: notify.NewNotifier(),
		stop: make(chan struct{}), gate: make(chan struct{}),
	}
	var w io.Writer = io.Discard
	if len(logTo) > 0 {
		w = logTo[0]
	}
	s := &EtcdServer{}
	s.init(r, slog.New(slog.NewTextHandler(w, nil)), reqTimeout, 1)
	s.startReadLoop()
	t.Cleanup(func() {
		r.halt()
		<-s.loopDone
	})
	return s, r
}

// read starts a linearizable read's barrier and returns where its result will come.
func read(s *EtcdServer, ctx context.Context) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- s.linearizableReadNotify(ctx) }()
	return errc
}

// waiting checks that none of the reads is let through, for a moment.
func waiting(t *testing.T, why string, reads ...<-chan error) {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	for _, errc := range reads {
		select {
		case err := <-errc:
			t.Fatalf("a read returned (%v) %s", err, why)
		default:
		}
	}
}

// done waits for the read's result. why says what the read should have done otherwise.
func done(t *testing.T, errc <-chan error, why ...string) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("the read never returned%s", strings.Join(append([]string{""}, why...), ": "))
		return nil
	}
}

// The round's read index is the leader's commit index; the read may be served only once this
// member has applied that far, or it could miss a write acknowledged before it.
func TestReadLoopServesOnlyAfterApplyWait(t *testing.T) {
	s, r := newLoop(t, 5*time.Second)
	r.apply(5)
	errc := read(s, ctxT(t))
	r.states <- raft.ReadState{Index: 9, RequestCtx: r.nextTag(t)}
	waiting(t, "before the member applied the read index 9 (it had applied 5): serve only after applyWait", errc)
	r.apply(9)
	require.NoError(t, done(t, errc), "once index 9 is applied the read is served")
}

// A ReadState answers the ReadIndex that carries the same tag. One with the tag of an earlier
// round answers a round given up on, or already served: its index may predate this round's reads.
func TestReadLoopMatchesReadStatesByID(t *testing.T) {
	s, r := newLoop(t, 5*time.Second)
	errc := read(s, ctxT(t))
	old := r.nextTag(t)
	r.states <- raft.ReadState{Index: 3, RequestCtx: old}
	r.apply(3)
	require.NoError(t, done(t, errc))

	errc = read(s, ctxT(t))
	tag := r.nextTag(t)
	r.states <- raft.ReadState{Index: 3, RequestCtx: old}
	waiting(t, "on a ReadState with an earlier round's ID: match the answer by its RequestCtx, not by its index", errc)
	r.states <- raft.ReadState{Index: 7, RequestCtx: tag}
	r.apply(7)
	require.NoError(t, done(t, errc))
}

// Reads that arrive while a round is in flight must wait for the next round, since the index the
// current one gets may predate their writes; and all of them share that next round.
func TestReadLoopBatchesReadsArrivingDuringARound(t *testing.T) {
	const later = 20
	s, r := newLoop(t, 5*time.Second)
	first := read(s, ctxT(t))
	tag1 := r.nextTag(t) // the round has begun

	var laterc []<-chan error
	for range later {
		laterc = append(laterc, read(s, ctxT(t)))
	}
	require.Eventually(t, func() bool {
		s.readMu.RLock()
		defer s.readMu.RUnlock()
		return s.readNotifier.reads.Load() >= later
	}, 5*time.Second, time.Millisecond, "the later reads never joined the next round")

	r.states <- raft.ReadState{Index: 1, RequestCtx: tag1}
	r.apply(1)
	require.NoError(t, done(t, first))
	waiting(t, "with the round that began before it arrived: swap in the next notifier before asking raft", laterc...)

	tag2 := r.nextTag(t)
	require.NotEqual(t, tag1, tag2, "every round has a new ID")
	r.noTag(t, 100*time.Millisecond, "the later reads should share one round, not have one each")
	r.states <- raft.ReadState{Index: 2, RequestCtx: tag2}
	r.apply(2)
	for _, errc := range laterc {
		require.NoError(t, done(t, errc))
	}
	require.Equal(t, uint64(2), s.ReadIndexRounds(), "1+%d reads, two rounds", later)
}

// raft drops a ReadIndex it cannot serve without a word: the loop sends it again every
// readIndexRetryTime, each time with an ID of its own, and fails the round with ErrTimeout at the
// request timeout.
func TestReadLoopRetriesUntilTheRequestTimeout(t *testing.T) {
	s, r := newLoop(t, 1200*time.Millisecond)
	start := time.Now()
	errc := read(s, context.Background())
	tag := r.nextTag(t)
	require.NotEqual(t, tag, r.nextTag(t, "raft may have dropped it: ask again every readIndexRetryTime"),
		"every resend has an ID of its own (etcd v3.6.9 on: etcd-io/etcd#20418, #21417)")
	require.ErrorIs(t, done(t, errc), etcderr.ErrTimeout)
	require.GreaterOrEqual(t, time.Since(start), 1200*time.Millisecond, "the round gives up at the request timeout, not before")
}

// Every send of a round went out after the round began, so the answer to any of them will do,
// the first one's included, once it has been sent again.
func TestReadLoopAcceptsAnAnswerToAnySendOfTheRound(t *testing.T) {
	s, r := newLoop(t, 5*time.Second)
	errc := read(s, ctxT(t))
	first := r.nextTag(t)
	r.nextTag(t, "ask again every readIndexRetryTime")
	r.states <- raft.ReadState{Index: 4, RequestCtx: first}
	r.apply(4)
	require.NoError(t, done(t, errc, "the answer to the round's first send is an answer to the round"))
}

// A new leader serves ReadIndex only once it has committed an entry of its term: when that
// happens, the loop asks again at once instead of waiting for the retry. The loop subscribes to
// the first commit after its first send, as etcd's does, so the test notifies until the loop
// hears it; which path made the resend is read from the loop's log, not from the clock.
func TestReadLoopResendsOnFirstCommitInTerm(t *testing.T) {
	var logs lockedBuffer
	s, r := newLoop(t, 5*time.Second, &logs)
	errc := read(s, ctxT(t))
	r.nextTag(t)
	var tag []byte
	for tag == nil {
		r.firstCommit.Notify()
		select {
		case tag = <-r.sent:
		case <-time.After(10 * time.Millisecond):
		}
	}
	out := logs.String()
	require.Contains(t, out, "first commit in current term: resending ReadIndex request",
		"ask again when the new leader commits its first entry")
	require.NotContains(t, out, "took too long", "the resend follows the first commit, not the retry timer")
	r.states <- raft.ReadState{Index: 1, RequestCtx: tag}
	r.apply(1)
	require.NoError(t, done(t, errc))
}

// lockedBuffer collects a logger's output while the loop writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// When a ReadState and a leader change are both there, the leader change wins: the read index
// may come from the leader that is gone. The loop is held inside a resend while both arrive, so
// that both are ready when it next waits; select alone would take either, so the test does it
// many times.
func TestReadLoopLeaderChangeWinsOverAReadState(t *testing.T) {
	s, r := newLoop(t, 5*time.Second)
	for i := range 30 {
		errc := read(s, ctxT(t))
		tag := r.nextTag(t)
		r.held.Store(true)
		r.firstCommit.Notify() // the loop resends, and waits at the gate
		r.nextTag(t, "ask again when the new leader commits its first entry")
		r.states <- raft.ReadState{Index: 1, RequestCtx: tag}
		r.leaderChanged.Notify()
		r.held.Store(false)
		r.gate <- struct{}{}
		require.ErrorIs(t, done(t, errc), etcderr.ErrLeaderChanged,
			"attempt %d: a ReadState came with a leader change, and was taken: check for a leader change again when a ReadState comes", i+1)
		select {
		case <-r.states: // not taken
		default:
		}
	}
}

// A leader change fails the whole round with ErrLeaderChanged, which clients retry; the next read
// starts a fresh round.
func TestReadLoopLeaderChangeFailsTheRound(t *testing.T) {
	s, r := newLoop(t, 5*time.Second)
	errc := read(s, ctxT(t))
	r.nextTag(t)
	r.leaderChanged.Notify()
	require.ErrorIs(t, done(t, errc), etcderr.ErrLeaderChanged, "a read must return its round's error")

	errc = read(s, ctxT(t))
	r.states <- raft.ReadState{Index: 1, RequestCtx: r.nextTag(t)}
	r.apply(1)
	require.NoError(t, done(t, errc))
}

// A read gives up when its context ends, even while the loop is stuck in a round, and so do the
// many reads queued behind it; and every read waiting on a stopping member gets ErrStopped.
func TestReadNotifyEndsWithTheContextOrTheMember(t *testing.T) {
	s, r := newLoop(t, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var reads []<-chan error
	for range 5 {
		reads = append(reads, read(s, ctx))
	}
	for _, errc := range reads {
		require.ErrorIs(t, done(t, errc, "wake the loop without blocking, and wait on the read's context too"), context.DeadlineExceeded)
	}

	stopped := read(s, context.Background())
	r.halt()
	require.ErrorIs(t, done(t, stopped, "a read must also wait on the member's stop"), etcderr.ErrStopped)
}
