package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Segments of 64 KB rather than 64 MB: every Open reads the tail segment whole.
	SegmentSizeBytes = 64 * 1024
	goleak.VerifyTestMain(m)
}

// withSegmentSize lowers SegmentSizeBytes for one test. Tests that use it do not run in parallel.
func withSegmentSize(t *testing.T, n int64) {
	old := SegmentSizeBytes
	SegmentSizeBytes = n
	t.Cleanup(func() { SegmentSizeBytes = old })
}

func newWAL(t *testing.T, metadata []byte) (*WAL, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wal")
	w, err := Create(dir, metadata)
	require.NoError(t, err, "Create on a fresh directory")
	return w, dir
}

func ents(from, to, term uint64) []raftpb.Entry {
	var es []raftpb.Entry
	for i := from; i <= to; i++ {
		es = append(es, raftpb.Entry{Index: i, Term: term, Type: raftpb.EntryNormal, Data: fmt.Appendf(nil, "entry %d of term %d", i, term)})
	}
	return es
}

type readBack struct {
	metadata []byte
	state    raftpb.HardState
	ents     []raftpb.Entry
}

// reopen opens dir at snap and reads it all, and closes the WAL at the end of the test.
func reopen(t *testing.T, dir string, snap Snapshot) (*WAL, readBack, error) {
	t.Helper()
	w, err := Open(dir, snap)
	require.NoError(t, err, "Open %s", dir)
	t.Cleanup(func() { w.Close() })
	md, st, es, err := w.ReadAll()
	return w, readBack{md, st, es}, err
}

// frame is one frame found by walking a segment by hand.
type frame struct {
	off  int64
	size int64
	typ  int64
}

// framesOf walks the frames of a segment until the first zero length word or the end.
func framesOf(t *testing.T, path string) []frame {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var fs []frame
	for off := int64(0); off+frameSizeBytes <= int64(len(b)); {
		rec, n, err := decodeFrame(b[off:])
		if err != nil {
			break
		}
		fs = append(fs, frame{off: off, size: n, typ: rec.Type})
		off += n
	}
	require.NotEmpty(t, fs, "%s has no frame a test can damage", path)
	return fs
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	names, err := readWALNames(dir)
	require.NoError(t, err)
	return names
}

// damage rewrites part of a file: f gets the file's bytes and returns them changed.
func damage(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, f(b), 0o600))
}
