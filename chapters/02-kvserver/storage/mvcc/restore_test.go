package mvcc

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"etcdwalk/chapters/02-kvserver/storage/backend"

	"github.com/stretchr/testify/require"
)

// TestStoreRestoreFromALeadersSnapshot is a follower applying a leader's snapshot: its store
// goes on from the leader's db, with the leader's history, revision and compaction.
func TestStoreRestoreFromALeadersSnapshot(t *testing.T) {
	leader, _ := openStore(t, t.TempDir())
	history(t, leader) // foo: 2 3 (del)4 5, bar: 6
	_, err := leader.Compact(testCtx(t), 3)
	require.NoError(t, err)

	dir := t.TempDir()
	follower, _ := openStore(t, dir)
	mustPut(t, follower, "stale", "1") // rev 2, only the follower's

	path := filepath.Join(dir, "snap.db")
	snap, err := leader.b.Snapshot()
	require.NoError(t, err)
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = snap.WriteTo(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, snap.Close())

	require.NoError(t, follower.Restore(path))
	require.Equal(t, int64(6), follower.Rev(), "the revision is the leader's")
	got, err := readAt(t, follower, "stale", 0)
	require.NoError(t, err)
	require.Empty(t, got, "the follower's own keys are gone: the index is rebuilt from the new db")
	for rev, want := range map[int64]string{4: "", 5: "c@5/5/v1", 6: "c@5/5/v1"} {
		got, err := readAt(t, follower, "foo", rev)
		require.NoError(t, err)
		require.Equal(t, want, got, "foo at %d after Restore", rev)
	}
	_, err = readAt(t, follower, "foo", 2)
	require.ErrorIs(t, err, ErrCompacted, "the leader's compaction holds on the follower")
	require.Equal(t, int64(7), mustPut(t, follower, "foo", "d"), "writes go on from the leader's revision")
}

// On a backend with BufferedReads, a write is readable, and counted in Rev, as soon as its
// transaction ends, long before the backend commits it.
func TestStoreReadsBufferedWritesBeforeTheCommit(t *testing.T) {
	be, err := backend.New(backend.BackendConfig{Path: filepath.Join(t.TempDir(), "db"), BatchInterval: time.Hour, BufferedReads: true})
	require.NoError(t, err)
	defer be.Close()
	s, err := New(be)
	require.NoError(t, err)
	defer s.Close()
	s.DeferSync(true)
	history(t, s)
	require.Equal(t, int64(6), s.Rev(), "Rev counts the ended transactions, committed or not")
	for rev, want := range map[int64]string{3: "b@3/2/v2", 4: "", 6: "c@5/5/v1"} {
		got, err := readAt(t, s, "foo", rev)
		require.NoError(t, err)
		require.Equal(t, want, got, "foo at %d, read through the buffer", rev)
	}
	require.NoError(t, be.ForceCommit())
	got, err := readAt(t, s, "bar", 0)
	require.NoError(t, err)
	require.Equal(t, "x@6/6/v1", got, "and from bbolt once it is committed")
}
