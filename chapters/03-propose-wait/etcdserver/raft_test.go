package etcdserver

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
)

// gatedStorage is a member's raft storage that records the last index it was asked to save and,
// once closed is set, holds every Save with entries until open is closed: a disk that is slow
// for as long as the test says.
type gatedStorage struct {
	Storage
	last    atomic.Uint64
	closed  atomic.Bool
	blocked chan struct{} // closed by the first Save that waits
	once    sync.Once
	open    chan struct{}
}

func (g *gatedStorage) Save(st raftpb.HardState, ents []raftpb.Entry) error {
	if len(ents) > 0 && g.closed.Load() {
		g.once.Do(func() { close(g.blocked) })
		<-g.open
	}
	if n := len(ents); n > 0 {
		g.last.Store(ents[n-1].Index)
	}
	return g.Storage.Save(st, ents)
}

// A leader sends its appends before it saves them, so that its followers write the entries to
// their disks while it writes them to its own (etcd's raftNode.start). A follower saves before it
// sends: its answer says the entry is on its disk. Here the leader's disk stalls on a put: the
// followers must have the entry in their storage all the same.
func TestClusterLeaderSendsAppendsBeforeItsOwnSave(t *testing.T) {
	gates := make([]*gatedStorage, 3)
	// A stalled leader sends no heartbeats: elections are kept 1 s away.
	c := newTestCluster(t, 3, func(cfg *ServerConfig) { cfg.ElectionTicks = 100 }, func(i int) ServerOption {
		log := NewMemoryLog()
		return WithStorage(func(cfg *ServerConfig) (Storage, SavedLog, error) {
			st, saved, err := log.Opener()(cfg)
			gates[i] = &gatedStorage{Storage: st, blocked: make(chan struct{}), open: make(chan struct{})}
			return gates[i], saved, err
		})
	})
	lead := c.leader(t)
	g := gates[indexOf(c.members, lead)]
	g.closed.Store(true)
	released := false
	release := func() {
		if !released {
			released = true
			close(g.open)
		}
	}
	t.Cleanup(release)

	putErr := make(chan error, 1)
	go func() {
		_, err := lead.Put(ctxT(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
		putErr <- err
	}()
	select {
	case <-g.blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("the leader never saved the put's entry")
	}
	stalled := g.last.Load() + 1 // the entry the leader is stuck saving (and perhaps more)
	term := lead.Term()
	for _, f := range c.followers(lead) {
		// In the same term: once the followers stop hearing from the stalled leader, a new one
		// would append entries of its own.
		require.Eventually(t, func() bool {
			return f.Term() == term && gates[indexOf(c.members, f)].last.Load() >= stalled
		}, 2*time.Second, time.Millisecond,
			"with the leader's own save stalled, its followers must have saved the new entry: a leader sends its appends before it saves")
	}
	release()
	require.NoError(t, <-putErr)
	require.Equal(t, "v", get(t, lead, "k"))
}
