package snap

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveDBFromAndDBFilePath(t *testing.T) {
	tests := []struct {
		name string
		id   uint64
		db   []byte
	}{
		{"small", 0x2a, []byte("a bbolt file")},
		{"larger than one copy buffer", 1 << 40, bytes.Repeat([]byte{0xdb}, 100<<10)},
		{"empty", 7, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(nil, dir)
			n, err := s.SaveDBFrom(bytes.NewReader(tt.db), tt.id)
			require.NoError(t, err)
			assert.Equal(t, int64(len(tt.db)), n, "SaveDBFrom should report every byte it read")

			path, err := s.DBFilePath(tt.id)
			require.NoError(t, err, "DBFilePath should find the db SaveDBFrom saved")
			assert.Equal(t, filepath.Join(dir, dbName(tt.id)), path)
			assert.Regexp(t, `^[0-9a-f]{16}\.snap\.db$`, filepath.Base(path), "a db file should be named <index in 16-digit hex>.snap.db")
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, len(tt.db), len(got), "the saved db should be as long as what was read")
			assert.True(t, bytes.Equal(tt.db, got), "the saved db should be byte for byte what was read")
			assert.Equal(t, []string{dbName(tt.id)}, dirNames(t, dir), "no temporary file should be left after a save")

			_, err = s.DBFilePath(tt.id + 1)
			assert.ErrorIs(t, err, ErrNoDBSnapshot, "DBFilePath of an index never saved should be ErrNoDBSnapshot")
		})
	}
}

// failingReader gives some bytes and then fails, as a connection dropped mid-stream does.
type failingReader struct{ sent bool }

var errConnReset = errors.New("connection reset")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.sent {
		return 0, errConnReset
	}
	r.sent = true
	return copy(p, "half a db"), nil
}

func TestSaveDBFromReadFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s := New(nil, dir)
	_, err := s.SaveDBFrom(&failingReader{}, 5)
	assert.ErrorIs(t, err, errConnReset, "SaveDBFrom should return the reader's error")
	assert.Empty(t, dirNames(t, dir), "a failed receive should leave neither the db nor its temporary file")
	_, err = s.DBFilePath(5)
	assert.ErrorIs(t, err, ErrNoDBSnapshot, "a db whose receive failed should not be found")
}

func TestSaveDBFromKeepsExisting(t *testing.T) {
	dir := t.TempDir()
	s := New(nil, dir)
	_, err := s.SaveDBFrom(strings.NewReader("first"), 9)
	require.NoError(t, err)
	rec := recordSyncs(s)

	n, err := s.SaveDBFrom(strings.NewReader("second copy"), 9)
	require.NoError(t, err)
	assert.Equal(t, int64(len("second copy")), n, "SaveDBFrom should still report what it read")
	got, err := os.ReadFile(filepath.Join(dir, dbName(9)))
	require.NoError(t, err)
	assert.Equal(t, "first", string(got), "a db already saved for this index should be kept, not replaced")
	assert.Equal(t, []string{dbName(9)}, dirNames(t, dir), "the second copy's temporary file should be removed")
	assert.Equal(t, []string{"temp", dir}, rec.synced(dir),
		"the second copy should be fsynced, then the directory synced again: the first save may have crashed before its rename was durable")
}

// syncRecorder stands in for fsync and remembers what was synced, and whether the file had its
// real name yet when it was.
type syncRecorder struct {
	names []string
	fail  func(f *os.File) error // nil: every fsync succeeds
}

func recordSyncs(s *Snapshotter) *syncRecorder {
	rec := &syncRecorder{}
	s.fsync = func(f *os.File) error {
		rec.names = append(rec.names, f.Name())
		if rec.fail != nil {
			return rec.fail(f)
		}
		return nil
	}
	return rec
}

// synced lists what was fsynced: "temp" for a file still under its temporary name, the path
// for the directory, "real name" for anything else.
func (r *syncRecorder) synced(dir string) []string {
	var out []string
	for _, n := range r.names {
		switch {
		case n == dir:
			out = append(out, dir)
		case strings.HasSuffix(n, tmpSuffix):
			out = append(out, "temp")
		default:
			out = append(out, "real name")
		}
	}
	return out
}

func TestSyncedAndSyncFailureReported(t *testing.T) {
	errSync := errors.New("fsync: input/output error")
	saves := []struct {
		name string
		save func(s *Snapshotter) error
	}{
		{"SaveSnap", func(s *Snapshotter) error { return s.SaveSnap(testSnap(1, 4)) }},
		{"SaveDBFrom", func(s *Snapshotter) error { _, err := s.SaveDBFrom(strings.NewReader("db"), 4); return err }},
	}
	for _, tt := range saves {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(nil, dir)
			rec := recordSyncs(s)
			require.NoError(t, tt.save(s))
			assert.Equal(t, []string{"temp", dir}, rec.synced(dir),
				"the file should be fsynced under its temporary name (content durable before the name points at it), then the snap dir (so the rename survives a power loss)")

			for _, failing := range []string{"file", "dir"} {
				dir := t.TempDir()
				s := New(nil, dir)
				rec := recordSyncs(s)
				rec.fail = func(f *os.File) error {
					if (f.Name() == dir) == (failing == "dir") {
						return errSync
					}
					return nil
				}
				assert.ErrorIs(t, tt.save(s), errSync, "a failed %s fsync should be returned: the save is not durable", failing)
				if failing == "file" {
					assert.Empty(t, dirNames(t, dir), "a save whose file fsync failed should leave nothing behind, under any name")
				}
			}
		})
	}
}

func TestDBFilePathMissingDir(t *testing.T) {
	_, err := New(nil, filepath.Join(t.TempDir(), "absent")).DBFilePath(1)
	assert.ErrorIs(t, err, os.ErrNotExist, "a snap dir that does not exist is an error of its own, not ErrNoDBSnapshot")
	assert.NotErrorIs(t, err, ErrNoDBSnapshot)
}

var _ io.Reader = (*failingReader)(nil)
