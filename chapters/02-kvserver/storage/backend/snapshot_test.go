package backend

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// saveSnapshot writes a snapshot of b into a file in dir, as a follower saves a received db.
func saveSnapshot(t *testing.T, b *Backend, dir string) string {
	t.Helper()
	snap, err := b.Snapshot()
	require.NoError(t, err)
	defer func() { require.NoError(t, snap.Close()) }()
	path := filepath.Join(dir, "received.snap.db")
	f, err := os.Create(path)
	require.NoError(t, err)
	n, err := snap.WriteTo(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.Equal(t, snap.Size(), n, "WriteTo writes Size bytes")
	return path
}

func TestSnapshotReplacesAFollowersDatabase(t *testing.T) {
	leader := open(t, filepath.Join(t.TempDir(), "db"))
	dir := t.TempDir()
	follower := open(t, filepath.Join(dir, "db"))

	fill(t, leader, 100)
	// A write in the batch, not committed yet: the snapshot must hold it all the same.
	leader.Lock()
	leader.UnsafePut(Key, []byte("pending"), []byte("yes"))
	leader.Unlock()

	follower.Lock()
	follower.UnsafePut(Key, []byte("own"), []byte("stale"))
	follower.Unlock()
	require.NoError(t, follower.WaitCommit(context.Background()))

	var commits atomic.Int64
	follower.AddHooks(Hooks{PostCommit: func() { commits.Add(1) }})
	require.NoError(t, follower.ReplaceWith(saveSnapshot(t, leader, dir)))

	got := map[string]string{}
	require.NoError(t, follower.View(func(tx *ReadTx) error {
		tx.ForEach(Key, nil, nil, func(k, v []byte) bool { got[string(k)] = string(v); return true })
		return nil
	}))
	require.Len(t, got, 101, "after ReplaceWith the follower holds the leader's keys, and only those")
	require.Equal(t, "yes", got["pending"], "a snapshot holds the writes made before it, committed or not")
	require.NotContains(t, got, "own", "the follower's own data is replaced, not merged")

	// The backend goes on: writes commit to the new file, and the hooks still run.
	before := commits.Load()
	follower.Lock()
	follower.UnsafePut(Key, []byte("after"), []byte("1"))
	follower.Unlock()
	require.NoError(t, follower.WaitCommit(context.Background()))
	require.Greater(t, commits.Load(), before, "the hooks added before ReplaceWith still run at its commits")
	require.NoError(t, follower.Close())

	again := open(t, filepath.Join(dir, "db"))
	require.NoError(t, again.View(func(tx *ReadTx) error {
		require.Equal(t, "1", string(tx.Get(Key, []byte("after"))), "a write after ReplaceWith is in the file on disk")
		require.Equal(t, "yes", string(tx.Get(Key, []byte("pending"))), "the replacing db is the file on disk")
		return nil
	}))
}

func TestReplaceWithRefusesAFileThatIsNoDatabase(t *testing.T) {
	dir := t.TempDir()
	b := open(t, filepath.Join(dir, "db"))
	fill(t, b, 10)
	bad := filepath.Join(dir, "bad.snap.db")
	require.NoError(t, os.WriteFile(bad, []byte("not a bbolt file"), 0o600))

	require.Error(t, b.ReplaceWith(bad), "a db bbolt cannot open must be refused")
	n := 0
	require.NoError(t, b.View(func(tx *ReadTx) error {
		tx.ForEach(Key, nil, nil, func(_, _ []byte) bool { n++; return true })
		return nil
	}))
	require.Equal(t, 10, n, "a refused replacement leaves the backend's own data in use")
	require.FileExists(t, bad, "a refused file is left where it was")
}

// open opens a backend at path, closed when the test ends (Close twice is harmless).
func open(t *testing.T, path string) *Backend {
	t.Helper()
	b, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return b
}
