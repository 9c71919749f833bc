package etcdserver

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"

	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/transport"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// The tests in this file pin the seams later chapters plug into: applyWait, leaderChanged,
// firstCommitInTerm, the linearizable-read barrier, the raft storage and bootstrap.

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func put(t *testing.T, s *EtcdServer, key, value string) *pb.PutResponse {
	t.Helper()
	resp, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte(key), Value: []byte(value)})
	require.NoError(t, err, "put %s=%s", key, value)
	return resp
}

// revAtIndex maps every raft index of s's log to the store revision the log holds up to it: each
// entry carrying a put adds one revision (the tests below write nothing else).
func revAtIndex(t *testing.T, s *EtcdServer) []int64 {
	t.Helper()
	last, err := s.r.raftStorage.LastIndex()
	require.NoError(t, err)
	ents, err := s.r.raftStorage.Entries(1, last+1, 1<<40)
	require.NoError(t, err)
	revs := make([]int64, last+1)
	rev := int64(1)
	for _, e := range ents {
		var r irpb.InternalRaftRequest
		if len(e.Data) > 0 && proto.Unmarshal(e.Data, &r) == nil && r.Put != nil {
			rev++
		}
		revs[e.Index] = rev
	}
	return revs
}

// A reader that waits for applied index i (chapter 04's ReadIndex read does) must see every write
// up to i. So at no instant may AppliedIndex claim an entry whose write Rev does not cover yet.
func TestClusterAppliedIndexNeverAheadOfRev(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	f := c.followers(lead)[0]

	type sample struct {
		applied uint64
		rev     int64
	}
	var samples []sample
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if len(samples) == 1<<20 {
				runtime.Gosched() // enough samples; keep memory bounded
				continue
			}
			ai := f.AppliedIndex() // first the claim, then what readers see
			samples = append(samples, sample{ai, f.Rev()})
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 40 {
				if _, err := lead.Put(ctxT(t), &pb.PutRequest{Key: []byte(fmt.Sprintf("w%d-%d", w, i)), Value: []byte("v")}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	require.NoError(t, <-errs, "every put of the load must succeed")
	require.Eventually(t, func() bool { return f.AppliedIndex() == lead.AppliedIndex() }, 10*time.Second, time.Millisecond)
	close(stop)
	<-sampled

	revs := revAtIndex(t, f)
	require.Equal(t, int64(1+8*40), revs[len(revs)-1], "the log holds every put")
	for _, s := range samples {
		require.GreaterOrEqual(t, s.rev, revs[s.applied],
			"AppliedIndex said %d, whose writes reach revision %d, but readers saw only revision %d: the applied index was published before the batch was synced", s.applied, revs[s.applied], s.rev)
	}
	require.Greater(t, len(samples), 100, "the sampler should have watched the whole run")
}

func TestClusterApplyWaitReleasesOnceTheWriteIsVisible(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	f := c.followers(lead)[0]
	require.Eventually(t, func() bool { return f.AppliedIndex() == lead.AppliedIndex() }, 10*time.Second, time.Millisecond)

	next := f.ApplyWait(f.AppliedIndex() + 1)
	require.True(t, isClosed(f.ApplyWait(f.AppliedIndex())), "an index already applied releases at once")
	require.False(t, isClosed(next), "nothing new was committed: a wait for the next index must block")

	put(t, lead, "k", "v")
	idx := lead.AppliedIndex()
	select {
	case <-f.ApplyWait(idx):
	case <-time.After(10 * time.Second):
		t.Fatalf("the follower never signalled that it applied index %d", idx)
	}
	require.Equal(t, "v", get(t, f, "k"), "once ApplyWait(i) is released, a read on that member sees the write at index i")
	require.True(t, isClosed(next))
}

// Every member learns of a new leader, not only the one elected: chapter 04's read loop on a
// follower abandons a ReadIndex round when its leader changes.
func TestLeaderChangedNotifiedOnEveryMember(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	survivors := c.followers(lead)
	var notified []<-chan struct{}
	for _, s := range survivors {
		notified = append(notified, s.LeaderChangedNotify())
	}
	require.False(t, isClosed(notified[0]) || isClosed(notified[1]), "no leader change has happened since the channels were taken")

	c.net.Isolate(lead.ID())
	newLead := c.leader(t, survivors...)
	require.NotEqual(t, lead.ID(), newLead.ID())
	for i, s := range survivors {
		select {
		case <-notified[i]:
		case <-time.After(10 * time.Second):
			t.Fatalf("member %x (leader now: %v) was not told that the leader changed", s.ID(), s == newLead)
		}
	}
}

// A new leader's first commit in its term is the empty entry it appends; every member is told
// when it applies it. Plain writes do not notify.
func TestClusterFirstCommitInTermNotified(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	survivors := c.followers(lead)
	put(t, lead, "k", "v")
	require.Eventually(t, func() bool { return survivors[0].AppliedIndex() == lead.AppliedIndex() }, 10*time.Second, time.Millisecond)

	before := survivors[0].FirstCommitInTermNotify()
	put(t, lead, "k", "w")
	require.Eventually(t, func() bool { return survivors[0].AppliedIndex() == lead.AppliedIndex() }, 10*time.Second, time.Millisecond)
	require.False(t, isClosed(before), "a put in the same term is not a first commit in a term")

	var notified []<-chan struct{}
	for _, s := range survivors {
		notified = append(notified, s.FirstCommitInTermNotify())
	}
	term := lead.Term()
	c.net.Isolate(lead.ID())
	c.leader(t, survivors...)
	for i, s := range survivors {
		select {
		case <-notified[i]:
			require.Greater(t, s.Term(), term, "the notification comes with the new term")
		case <-time.After(10 * time.Second):
			t.Fatalf("member %x never applied the new leader's first entry of its term", s.ID())
		}
	}
}

// The read barrier given at construction guards every read that is not serializable, and no
// write: Range and read-only Txn wait for it and fail with its error.
func TestClusterReadNotifyGuardsLinearizableReads(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	barrierErr := errors.New("etcdserver: request timed out")
	fail := false
	barrier := func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if fail {
			return barrierErr
		}
		return nil
	}
	c := newTestCluster(t, 1, nil)
	s := c.members[0]
	_ = s.Stop()
	s, err := NewServer(s.Cfg, c.net, WithLinearizableReadNotify(barrier), WithStorage(c.logs[0].Opener()))
	require.NoError(t, err)
	s.Start()
	t.Cleanup(func() { require.NoError(t, s.Stop()) })
	require.Eventually(t, s.IsLeader, 10*time.Second, time.Millisecond)

	rng := &pb.RangeRequest{Key: []byte("k")}
	serRange := &pb.RangeRequest{Key: []byte("k"), Serializable: true}
	readTxn := &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: rng}}}}
	serTxn := &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: serRange}}}}
	traced := ctxT(t) // each case's context, with a trace of its own
	tests := []struct {
		name    string
		do      func() error
		guarded bool
	}{
		{"linearizable range", func() error { _, err := s.Range(traced, rng); return err }, true},
		{"serializable range", func() error { _, err := s.Range(traced, serRange); return err }, false},
		{"read-only txn", func() error { _, err := s.Txn(traced, readTxn); return err }, true},
		{"serializable read-only txn", func() error { _, err := s.Txn(traced, serTxn); return err }, false},
		{"put", func() error {
			_, err := s.Put(traced, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			calls, fail = 0, false
			mu.Unlock()
			trace := traceutil.New("test")
			traced = traceutil.WithTrace(ctxT(t), trace)
			require.NoError(t, tt.do())
			require.Equal(t, tt.guarded, strings.Contains(trace.String(), "agreement among raft nodes before linearized reading"),
				"a guarded read's trace shows its wait as etcd's does, and only a guarded read's:\n%s", trace)
			mu.Lock()
			require.Equal(t, map[bool]int{true: 1, false: 0}[tt.guarded], calls, "how often the barrier ran")
			fail = true
			mu.Unlock()
			err := tt.do()
			if tt.guarded {
				require.ErrorIs(t, err, barrierErr, "a read the barrier refuses fails with its error, without reading")
			} else {
				require.NoError(t, err, "the barrier does not concern this request")
			}
		})
	}
}

// A member given back the raft log it saved restarts from it (the path chapter 06 takes with its
// WAL): it keeps its data, catches up on what it missed, and applies nothing twice.
func TestClusterRestartFromSavedLog(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	f := c.followers(lead)[0]
	i := indexOf(c.members, f)
	put(t, lead, "a", "1")
	require.Eventually(t, func() bool { return get(t, f, "a") == "1" }, 10*time.Second, time.Millisecond)

	require.NoError(t, f.Stop())
	put(t, lead, "b", "2") // while f is down
	restarted, err := NewServer(f.Cfg, c.net, WithStorage(c.logs[i].Opener()))
	require.NoError(t, err, "a member with its raft log may restart on its data dir")
	c.members[i] = restarted
	restarted.Start()

	require.Eventually(t, func() bool { return get(t, restarted, "b") == "2" }, 10*time.Second, time.Millisecond,
		"the restarted member catches up on what was written while it was down")
	require.Equal(t, "1", get(t, restarted, "a"), "and still has what it had")
	require.Eventually(t, func() bool { return restarted.Rev() == lead.Rev() }, 10*time.Second, time.Millisecond)
	require.Equal(t, int64(3), restarted.Rev(), "replayed entries the backend held were skipped, not applied again")
	put(t, restarted, "c", "3")
}

func TestClusterStorageFailureStopsTheMember(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	s := c.leader(t)
	put(t, s, "k", "v")
	c.logs[0].failSaves(errors.New("disk gone"))
	_, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("w")})
	// The put is refused by the stopping server, or, if an earlier Ready already failed to save,
	// by raft itself.
	require.Error(t, err, "a member whose raft storage fails stops, as etcd's process exits")
	require.Contains(t, []string{"etcdserver: server stopped", "raft: stopped"}, err.Error())
	select {
	case <-s.StopNotify():
	case <-time.After(10 * time.Second):
		t.Fatal("the member kept running after its storage failed")
	}
	require.ErrorContains(t, s.Err(), "disk gone", "Err says why the member stopped")
}

// ReadIndex is answered on ReadStates with the request's own tag and an index that covers every
// write acknowledged before it was asked, on a follower as on the leader; a member cut off from
// the leader gets no answer (raft drops the request), so that a read waiting for one cannot be
// served stale. Chapter 04's read loop is built on exactly this.
func TestClusterReadIndexAnswersOnReadStates(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	f := c.followers(lead)
	put(t, lead, "k", "v")
	acked := lead.CommittedIndex()

	for i, s := range []*EtcdServer{lead, f[0]} {
		rctx := []byte{0, 0, 0, 0, 0, 0, 0, byte(i + 1)}
		require.NoError(t, s.ReadIndex(ctxT(t), rctx))
		select {
		case rs := <-s.ReadStates():
			require.Equal(t, rctx, rs.RequestCtx, "the answer carries the request's tag")
			require.GreaterOrEqual(t, rs.Index, acked, "the read index covers the acknowledged write")
		case <-time.After(10 * time.Second):
			t.Fatalf("member %x got no ReadState for its ReadIndex", s.ID())
		}
	}

	c.net.Isolate(f[1].ID())
	require.NoError(t, f[1].ReadIndex(ctxT(t), []byte("cut-off!")))
	select {
	case rs := <-f[1].ReadStates():
		t.Fatalf("a partitioned follower got a read index (%d) without a quorum", rs.Index)
	case <-time.After(300 * time.Millisecond):
	}
}

// eagerJoiner delivers a peer's message the moment the member joins, as a network transport may
// (chapter 06's: the other members' streams are up before the restarted member starts).
type eagerJoiner struct {
	net       *transport.Network
	from      uint64
	delivered error
}

func (j *eagerJoiner) Join(id uint64, r transport.Raft) transport.Transporter {
	tr := j.net.Join(id, r)
	j.delivered = r.Process(context.Background(), raftpb.Message{Type: raftpb.MsgHeartbeat, From: j.from, To: id, Term: 1})
	return tr
}

// A message a transport delivers between Join and Start reaches raft: the member is whole once it
// has joined.
func TestProcessRightAfterJoin(t *testing.T) {
	members := clustertest.Members(3, 44000)
	j := &eagerJoiner{net: transport.NewNetwork(), from: members[1].ID}
	s, err := NewServer(ServerConfig{Name: members[0].Name, DataDir: t.TempDir(), Members: members, TickMs: 10}, j)
	require.NoError(t, err)
	require.NoError(t, j.delivered, "raft takes a message delivered as the member joins")
	s.Start()
	j.net.Leave(s.ID())
	require.NoError(t, s.Stop())
}

// WithBackendBatching: the members answer writes, and serve them to readers, without waiting for
// a bbolt commit (the backend commits only on its timer, an hour away here): a committed entry
// is in the raft storage of a majority already.
func TestClusterBackendBatchingAnswersBeforeTheBackendCommits(t *testing.T) {
	c := newTestCluster(t, 3, nil, func(int) ServerOption { return WithBackendBatching(time.Hour, 0) })
	lead := c.leader(t)
	var commits atomic.Int32
	for _, s := range c.members {
		s.be.AddHooks(backend.Hooks{PostCommit: func() { commits.Add(1) }})
	}
	for i := range 20 {
		put(t, lead, fmt.Sprintf("k%d", i), "v")
	}
	for _, s := range c.members {
		require.Eventually(t, func() bool { return get(t, s, "k19") == "v" }, 10*time.Second, time.Millisecond,
			"every member serves the writes from its read buffer")
		require.GreaterOrEqual(t, s.Rev(), int64(21))
	}
	require.Zero(t, commits.Load(), "no bbolt commit was needed to answer the writes or to read them")
	require.NoError(t, lead.be.ForceCommit())
	require.Positive(t, commits.Load(), "the writes are in the batch, and a commit writes them to bbolt")
}

// Publish: a member's published name and client URLs reach every member's Members, and a member
// restarted from its data dir still has them (from its backend's members bucket).
func TestClusterPublishReachesEveryMember(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	pub := c.followers(lead)[0]
	require.NoError(t, pub.Publish(ctxT(t), []string{"http://published.example:2379"}))
	clientURLs := func(s *EtcdServer) []string {
		for _, m := range s.Members() {
			if m.ID == pub.ID() {
				return m.ClientURLs
			}
		}
		return nil
	}
	for _, s := range c.members {
		require.Eventually(t, func() bool { return len(clientURLs(s)) == 1 && clientURLs(s)[0] == "http://published.example:2379" },
			10*time.Second, time.Millisecond, "every member lists the client URLs a member published")
	}

	f := c.followers(lead)[len(c.followers(lead))-1]
	i := indexOf(c.members, f)
	require.NoError(t, f.Stop())
	restarted, err := NewServer(f.Cfg, c.net, WithStorage(c.logs[i].Opener()))
	require.NoError(t, err)
	c.members[i] = restarted
	require.Equal(t, []string{"http://published.example:2379"}, clientURLs(restarted),
		"a member restarted on its data dir lists the published URLs before it replays anything")
	restarted.Start()
}
