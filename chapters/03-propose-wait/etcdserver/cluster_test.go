package etcdserver

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/pkg/wait"
	"etcdwalk/chapters/03-propose-wait/transport"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingWait wraps the registry to count registrations still open: none may be left behind.
type countingWait struct {
	wait.Wait
	mu   sync.Mutex
	open map[uint64]bool
}

func (c *countingWait) Register(id uint64) <-chan any {
	c.mu.Lock()
	c.open[id] = true
	c.mu.Unlock()
	return c.Wait.Register(id)
}

func (c *countingWait) Trigger(id uint64, x any) {
	c.mu.Lock()
	delete(c.open, id)
	c.mu.Unlock()
	c.Wait.Trigger(id, x)
}

func (c *countingWait) openCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.open)
}

type testCluster struct {
	net     *transport.Network
	members []*EtcdServer
	waits   []*countingWait
	logs    []*MemoryLog // each member's raft log, kept across a restart
}

func testMember(name, url string) membership.Member {
	return membership.Member{ID: membership.ComputeMemberID([]string{url}, "test"), Name: name, ClientURLs: []string{url}}
}

// add wraps s's wait registry to count open registrations and adds s to the cluster.
func (c *testCluster) add(s *EtcdServer) {
	cw := &countingWait{Wait: s.w, open: map[uint64]bool{}}
	s.w = cw
	c.members = append(c.members, s)
	c.waits = append(c.waits, cw)
}

// newTestCluster starts n members with fast raft timing: 10ms ticks, elections after 10 ticks. A
// request gives up after a second, many times what a write takes here: a write that never comes
// back (an exercise not written yet) fails its test in a second, not in etcd's seven. opts, if
// any, give member i more options.
func newTestCluster(t *testing.T, n int, tweak func(*ServerConfig), opts ...func(i int) ServerOption) *testCluster {
	t.Helper()
	c := &testCluster{net: transport.NewNetwork()}
	members := clustertest.Members(n, 40000)
	for i, m := range members {
		cfg := ServerConfig{Name: m.Name, DataDir: t.TempDir(), Members: members, TickMs: 10, ElectionTicks: 10, RequestTimeout: time.Second}
		if tweak != nil {
			tweak(&cfg)
		}
		log := NewMemoryLog()
		sopts := []ServerOption{WithStorage(log.Opener())}
		for _, o := range opts {
			sopts = append(sopts, o(i))
		}
		s, err := NewServer(cfg, c.net, sopts...)
		require.NoError(t, err)
		c.add(s)
		c.logs = append(c.logs, log)
	}
	clustertest.Start(t, c.net, c.members)
	return c
}

// leader waits until every member in group (default: all) agrees on a leader among them.
func (c *testCluster) leader(t *testing.T, group ...*EtcdServer) *EtcdServer {
	t.Helper()
	if len(group) == 0 {
		group = c.members
	}
	return clustertest.Leader(t, group)
}

func (c *testCluster) followers(lead *EtcdServer) []*EtcdServer {
	return clustertest.Followers(c.members, lead)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func get(t *testing.T, s *EtcdServer, key string) string {
	t.Helper()
	resp, err := s.Range(ctxT(t), &pb.RangeRequest{Key: []byte(key)})
	require.NoError(t, err)
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

func TestClusterWritesThroughAnyMember(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	order := append([]*EtcdServer{lead}, c.followers(lead)...)
	for i, s := range order {
		resp, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte(fmt.Sprint(i))})
		require.NoError(t, err, "a put through member %d (leader: %v)", i, s == lead)
		require.Equal(t, int64(2+i), resp.Header.Revision, "writes through any member take the next revision of one shared history")
	}
	for _, s := range c.members {
		require.Eventually(t, func() bool { return get(t, s, "k") == "2" }, 10*time.Second, 5*time.Millisecond,
			"every member applies every entry, in the same order")
		require.Equal(t, int64(4), s.Rev())
	}
	for i, w := range c.waits {
		require.Zero(t, w.openCount(), "member %d: every registration was triggered", i)
	}
}

func TestClusterStaleReadOnPartitionedFollower(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	_, err := lead.Put(ctxT(t), &pb.PutRequest{Key: []byte("x"), Value: []byte("1")})
	require.NoError(t, err)
	f := c.followers(lead)[0]
	require.Eventually(t, func() bool { return get(t, f, "x") == "1" }, 10*time.Second, 5*time.Millisecond)

	c.net.Isolate(f.ID())
	_, err = lead.Put(ctxT(t), &pb.PutRequest{Key: []byte("x"), Value: []byte("2")})
	require.NoError(t, err, "the leader and the other follower are a majority")
	require.Equal(t, "1", get(t, f, "x"),
		"the cut-off follower still answers its old value: chapter 03 reads the local store (chapter 04's ReadIndex fixes this)")

	c.net.Heal()
	require.Eventually(t, func() bool { return get(t, f, "x") == "2" }, 10*time.Second, 5*time.Millisecond, "once healed it catches up")
}

func TestClusterLeaderLostMidRequest(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	lead := c.leader(t)
	f := c.followers(lead)[0]

	// Cut the leader off: the follower forwards the proposal to it, and it is lost.
	c.net.Isolate(lead.ID())
	_, err := f.Put(ctxT(t), &pb.PutRequest{Key: []byte("lost"), Value: []byte("v")})
	require.Error(t, err)
	require.Contains(t, []string{"etcdserver: request timed out, possibly due to previous leader failure",
		"etcdserver: request timed out, possibly due to connection lost", "etcdserver: request timed out"},
		err.Error(), "a proposal lost with its leader times out with etcd's error")

	// The old leader is stopped for good; the others elected a new one.
	c.net.Leave(lead.ID())
	require.NoError(t, lead.Stop())
	survivors := c.followers(lead)
	newLead := c.leader(t, survivors...)
	require.NotEqual(t, lead.ID(), newLead.ID())
	resp, err := survivors[1].Put(ctxT(t), &pb.PutRequest{Key: []byte("after"), Value: []byte("v")})
	require.NoError(t, err, "after re-election writes succeed again")
	require.Equal(t, int64(2), resp.Header.Revision, "the lost proposal never became a revision")
	for i, w := range c.waits {
		require.Zero(t, w.openCount(), "member %d: no wait registration is left behind", i)
	}
}

func TestClusterStoppedMemberAnswersErrStopped(t *testing.T) {
	// The put must still be waiting when its member stops, however slow the machine.
	c := newTestCluster(t, 3, func(cfg *ServerConfig) { cfg.RequestTimeout = time.Minute })
	lead := c.leader(t)
	f := c.followers(lead)[0]
	c.net.Isolate(f.ID()) // its proposals cannot commit
	errc := make(chan error, 1)
	go func() {
		_, err := f.Put(context.Background(), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
		errc <- err
	}()
	require.Eventually(t, func() bool { return c.waits[indexOf(c.members, f)].openCount() == 1 }, 5*time.Second, time.Millisecond)
	c.net.Leave(f.ID())
	require.NoError(t, f.Stop())
	require.EqualError(t, <-errc, "etcdserver: server stopped", "a waiting request learns the server stopped")
}

func indexOf(ms []*EtcdServer, s *EtcdServer) int {
	for i, m := range ms {
		if m == s {
			return i
		}
	}
	return -1
}

func TestClusterRefusesOversizedAndBackloggedRequests(t *testing.T) {
	c := newTestCluster(t, 1, func(cfg *ServerConfig) { cfg.MaxRequestBytes = 100 })
	s := c.leader(t)
	_, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: make([]byte, 200)})
	require.EqualError(t, err, "etcdserver: request is too large", "the marshaled raft entry is over --max-request-bytes")
	_, err = s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.NoError(t, err)

	// Pretend raft committed 5001 entries the apply loop has not reached.
	s.committedIndex.Store(s.AppliedIndex() + maxGapBetweenApplyAndCommitIndex + 1)
	_, err = s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.EqualError(t, err, "etcdserver: too many requests")
	require.Zero(t, c.waits[0].openCount(), "refused requests register nothing")
}

func TestClusterApplyNeverAppliesAnEntryTwice(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	s := c.leader(t)
	_, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.NoError(t, err)
	rev := s.Rev()
	entries, err := s.r.raftStorage.Entries(1, s.AppliedIndex()+1, 1<<30)
	require.NoError(t, err)
	require.NoError(t, s.applyAll(toApply{entries: entries})) // as if raft handed the same entries again
	require.Equal(t, rev, s.Rev(), "entries at or below the consistent index are skipped")
}

func TestClusterRefusesDataFromAnEarlierRun(t *testing.T) {
	net := transport.NewNetwork()
	m := testMember("solo", "http://127.0.0.1:1")
	dir := t.TempDir()
	cfg := ServerConfig{Name: "solo", DataDir: dir, Members: []membership.Member{m}, TickMs: 10, ElectionTicks: 10, RequestTimeout: time.Second}
	s, err := NewServer(cfg, net)
	require.NoError(t, err)
	s.Start()
	require.Eventually(t, s.IsLeader, 10*time.Second, 5*time.Millisecond)
	_, err = s.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.NoError(t, err)
	net.Leave(s.ID())
	require.NoError(t, s.Stop())

	_, err = NewServer(cfg, net)
	require.ErrorIs(t, err, ErrDataDirInUse, "raft's log is gone: restarting on this store would skip new entries as already applied")
}
