package etcdserver

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// memSnapshots is a member's Snapshots for tests on the in-memory network: it snapshots at every
// count-th applied entry and compacts all of raft's log up to the snapshot, so that a member
// that is behind at all is sent a snapshot. Sending copies the db into the receiver's directory
// and hands the MsgSnap to the receiver's raft, as chapter 06's transport does over HTTP.
type memSnapshots struct {
	c     *testCluster
	dir   string
	count uint64
	// inMemory: the snapshots stay in raft's log in memory, none is saved (etcd v3.6 takes one
	// every 100 entries, besides the disk snapshot every --snapshot-count).
	inMemory bool

	wg        *sync.WaitGroup
	snapshots atomic.Int32 // taken by this member
	sent      atomic.Int32
}

func (m *memSnapshots) TriggerSnapshot(log RaftLog, ep *Progress) error {
	if ep.AppliedIndex < ep.MemorySnapshotIndex+m.count {
		return nil
	}
	if err := log.Snapshot(ep.AppliedIndex, !m.inMemory); err != nil {
		return err
	}
	m.snapshots.Add(1)
	ep.MemorySnapshotIndex = ep.AppliedIndex
	if !m.inMemory {
		ep.DiskSnapshotIndex = ep.AppliedIndex
	}
	return log.Compact(ep.AppliedIndex)
}

func (m *memSnapshots) DBFilePath(index uint64) (string, error) {
	return filepath.Join(m.dir, fmt.Sprintf("%016x.snap.db", index)), nil
}

func (m *memSnapshots) SendSnapshot(msg raftpb.Message, db io.ReadCloser) {
	m.sent.Add(1)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer db.Close()
		var to *EtcdServer
		var toSnaps *memSnapshots
		for _, s := range m.c.members {
			if s.ID() == msg.To {
				to, toSnaps = s, s.snapshots.(*memSnapshots)
			}
		}
		from := m.c.byID(msg.From)
		path, _ := toSnaps.DBFilePath(msg.Snapshot.Metadata.Index)
		f, err := os.Create(path)
		if err == nil {
			_, err = io.Copy(f, db)
			err = firstErr(err, f.Close())
		}
		if err == nil {
			err = to.Process(context.Background(), msg)
		}
		status := raft.SnapshotFinish
		if err != nil {
			status = raft.SnapshotFailure
		}
		from.ReportSnapshot(msg.To, status)
	}()
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func (c *testCluster) byID(id uint64) *EtcdServer {
	for _, s := range c.members {
		if s.ID() == id {
			return s
		}
	}
	return nil
}

// newSnapshotCluster is a three-member test cluster whose members snapshot every count entries.
func newSnapshotCluster(t *testing.T, count uint64, tweak ...func(*memSnapshots)) (*testCluster, []*memSnapshots) {
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // runs after the members stop (cleanups run last in, first out)
	snaps := make([]*memSnapshots, 3)
	c := newTestCluster(t, 3, nil, func(i int) ServerOption {
		snaps[i] = &memSnapshots{dir: t.TempDir(), count: count, wg: &wg}
		for _, f := range tweak {
			f(snaps[i])
		}
		return WithSnapshots(snaps[i])
	})
	for _, sn := range snaps {
		sn.c = c
	}
	return c, snaps
}

// restartAndCatchUp restarts the stopped member i from its saved log, and waits until it has
// caught up with lead.
func restartAndCatchUp(t *testing.T, c *testCluster, snaps []*memSnapshots, i int, lead *EtcdServer) *EtcdServer {
	t.Helper()
	restarted, err := NewServer(c.members[i].Cfg, c.net, WithStorage(c.logs[i].Opener()), WithSnapshots(snaps[i]))
	require.NoError(t, err)
	c.members[i] = restarted
	restarted.Start()
	require.Eventually(t, func() bool { return restarted.Rev() == lead.Rev() }, 10*time.Second, time.Millisecond,
		"the follower catches up")
	return restarted
}

// The Snapshots seam: the trigger runs after applied batches and may snapshot and compact raft's
// log; a follower that is behind the leader's compacted log is sent a snapshot with the leader's
// db, applies it (its backend replaced by the db), and goes on from there with entries; and it
// restarts from the snapshot its storage saved.
func TestClusterSnapshotsCatchUpAFollower(t *testing.T) {
	c, snaps := newSnapshotCluster(t, 20)
	lead := c.leader(t)
	f := c.followers(lead)[0]
	i := indexOf(c.members, f)
	put(t, lead, "a", "1")
	require.Eventually(t, func() bool { return get(t, f, "a") == "1" }, 10*time.Second, time.Millisecond)

	require.NoError(t, f.Stop())
	for k := range 100 {
		put(t, lead, fmt.Sprintf("k%03d", k), "v")
	}
	require.Positive(t, snaps[indexOf(c.members, lead)].snapshots.Load(), "the leader snapshots every 20 applied entries")
	first, err := lead.r.raftStorage.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, f.AppliedIndex()+1, "the leader's log no longer has the entries the stopped follower needs")

	restarted := restartAndCatchUp(t, c, snaps, i, lead)
	var sent int32
	for _, sn := range snaps {
		sent += sn.sent.Load()
	}
	require.Positive(t, sent, "a follower behind the compacted log is sent a snapshot")
	require.Equal(t, "v", get(t, restarted, "k099"), "the follower has the leader's data")
	require.Equal(t, "1", get(t, restarted, "a"))
	require.Equal(t, int64(102), restarted.Rev(), "one revision per put: the snapshot's db holds them all, nothing applied twice")
	put(t, restarted, "after", "snapshot")
	require.Eventually(t, func() bool { return get(t, lead, "after") == "snapshot" }, 10*time.Second, time.Millisecond,
		"the follower goes on with entries after the snapshot")
	require.False(t, raft.IsEmptySnap(c.logs[i].saved.Snapshot), "the follower's storage saved the received snapshot")

	// Restart from that snapshot: raft starts after it, and the backend holds what it covers.
	require.NoError(t, restarted.Stop())
	again, err := NewServer(f.Cfg, c.net, WithStorage(c.logs[i].Opener()), WithSnapshots(snaps[i]))
	require.NoError(t, err)
	c.members[i] = again
	again.Start()
	require.Equal(t, c.logs[i].saved.Snapshot.Metadata.Index, again.AppliedIndex(),
		"a member restarting from a snapshot starts with it applied")
	require.Eventually(t, func() bool { return again.Rev() == lead.Rev() }, 10*time.Second, time.Millisecond)
	require.Equal(t, "snapshot", get(t, again, "after"))
}

// A snapshot in memory only (RaftLog.Snapshot with toDisk false) lets raft's log be compacted,
// and saves nothing: a member restarts from its saved log as if none had been taken, and a
// follower that is behind the compacted log is still sent the leader's db.
func TestClusterSnapshotsInMemoryCompactWithoutSaving(t *testing.T) {
	c, snaps := newSnapshotCluster(t, 20, func(m *memSnapshots) { m.inMemory = true })
	lead := c.leader(t)
	f := c.followers(lead)[0]
	i := indexOf(c.members, f)
	require.NoError(t, f.Stop())
	for k := range 100 {
		put(t, lead, fmt.Sprintf("k%03d", k), "v")
	}
	require.Positive(t, snaps[indexOf(c.members, lead)].snapshots.Load())
	first, err := lead.r.raftStorage.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, uint64(100), "the leader's log is compacted up to its newest snapshot in memory")
	for j, l := range c.logs {
		if j == i {
			continue
		}
		l.mu.Lock()
		saved := l.saved
		l.mu.Unlock()
		require.True(t, raft.IsEmptySnap(saved.Snapshot), "a snapshot in memory is never saved")
		require.Equal(t, uint64(1), saved.Entries[0].Index, "nor does it release any of the saved log")
	}

	restartAndCatchUp(t, c, snaps, i, lead)
	require.Positive(t, snaps[indexOf(c.members, lead)].sent.Load(), "by the leader's db")
}
