package snap

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
)

func testSnap(term, index uint64) raftpb.Snapshot {
	return raftpb.Snapshot{
		Data: []byte("state machine at " + snapName(term, index)),
		Metadata: raftpb.SnapshotMetadata{
			Index:     index,
			Term:      term,
			ConfState: raftpb.ConfState{Voters: []uint64{1, 2, 3}},
		},
	}
}

func saveAll(t *testing.T, s *Snapshotter, snaps ...raftpb.Snapshot) {
	t.Helper()
	for _, snap := range snaps {
		require.NoError(t, s.SaveSnap(snap), "SaveSnap(term %d, index %d)", snap.Metadata.Term, snap.Metadata.Index)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	names, err := readDirNames(dir)
	require.NoError(t, err)
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return names
}

func TestSaveAndLoad(t *testing.T) {
	dir := t.TempDir()
	s := New(nil, dir)
	want := testSnap(3, 12)
	require.NoError(t, s.SaveSnap(want))

	assert.Equal(t, []string{"0000000000000003-000000000000000c.snap"}, dirNames(t, dir),
		"the snap dir should hold exactly one file named <term>-<index>.snap in 16-digit hex, and no temporary file")
	got, err := s.Load()
	require.NoError(t, err)
	assert.Equal(t, want, *got, "Load should return the snapshot SaveSnap wrote, data and metadata")
}

// The on-disk format is the CRC of the marshalled snapshot, then the snapshot: pinned here so a
// change to it is a decision, not an accident.
func TestSaveSnapFileFormat(t *testing.T) {
	dir := t.TempDir()
	snap := testSnap(1, 5)
	require.NoError(t, New(nil, dir).SaveSnap(snap))

	b, err := os.ReadFile(filepath.Join(dir, snapName(1, 5)))
	require.NoError(t, err)
	data, err := snap.Marshal()
	require.NoError(t, err)
	require.Len(t, b, crcSize+len(data), "a snap file should be a 4-byte CRC followed by the marshalled raftpb.Snapshot")
	assert.Equal(t, crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)), binary.LittleEndian.Uint32(b),
		"the first 4 bytes should be the little-endian crc32 Castagnoli of the rest")
	assert.Equal(t, data, b[crcSize:], "after the CRC should come the raftpb.Snapshot bytes")
}

func TestSaveSnapEmptyWritesNothing(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, New(nil, dir).SaveSnap(raftpb.Snapshot{}))
	assert.Empty(t, dirNames(t, dir), "raft's empty snapshot means \"no snapshot\": SaveSnap should write no file for it")
}

func TestLoadNewestWins(t *testing.T) {
	tests := []struct {
		name  string
		saved []raftpb.Snapshot
		want  raftpb.Snapshot
	}{
		{"later index", []raftpb.Snapshot{testSnap(1, 10), testSnap(1, 30), testSnap(1, 20)}, testSnap(1, 30)},
		{"later term", []raftpb.Snapshot{testSnap(1, 10), testSnap(2, 11)}, testSnap(2, 11)},
		{"past a hex digit boundary", []raftpb.Snapshot{testSnap(1, 0xf), testSnap(1, 0x10), testSnap(1, 0x9)}, testSnap(1, 0x10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(nil, t.TempDir())
			saveAll(t, s, tt.saved...)
			got, err := s.Load()
			require.NoError(t, err)
			assert.Equal(t, tt.want.Metadata, got.Metadata, "Load should return the newest snapshot by (term, index)")
		})
	}
}

func TestLoadFallsBackFromBroken(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(b []byte) []byte
		readErr error // what Read says of the broken file; nil: any error
	}{
		{"a flipped data byte", func(b []byte) []byte { b[len(b)-1] ^= 0xff; return b }, ErrCRCMismatch},
		{"a flipped CRC byte", func(b []byte) []byte { b[0] ^= 0xff; return b }, ErrCRCMismatch},
		{"truncated to nothing", func([]byte) []byte { return nil }, ErrEmptySnapshot},
		{"only part of the CRC", func(b []byte) []byte { return b[:3] }, ErrEmptySnapshot},
		{"a CRC and nothing after it", func(b []byte) []byte { return b[:crcSize] }, ErrEmptySnapshot},
		{"a valid CRC over bytes that are no snapshot", func([]byte) []byte { return encode([]byte{0xff, 0xff, 0xff}) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(nil, dir)
			older, newest := testSnap(1, 10), testSnap(1, 20)
			saveAll(t, s, older, newest)
			path := filepath.Join(dir, snapName(1, 20))
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tt.corrupt(b), 0o644))

			got, err := s.Load()
			require.NoError(t, err, "Load should fall back to the older snapshot when the newest is broken")
			assert.Equal(t, older.Metadata, got.Metadata, "Load should return the next older snapshot")
			assert.Equal(t, []string{snapName(1, 10), snapName(1, 20) + ".broken"}, dirNames(t, dir),
				"the broken snap file should have been renamed <name>.broken and the older one kept")

			_, err = Read(s.lg, path+".broken")
			if tt.readErr != nil {
				assert.ErrorIs(t, err, tt.readErr, "Read of the broken file should say why it is broken")
			} else {
				assert.Error(t, err, "Read of the broken file should fail")
			}
		})
	}
}

func TestLoadAllBroken(t *testing.T) {
	dir := t.TempDir()
	s := New(nil, dir)
	saveAll(t, s, testSnap(1, 10), testSnap(1, 20))
	for _, name := range dirNames(t, dir) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("garbage"), 0o644))
	}

	_, err := s.Load()
	assert.ErrorIs(t, err, ErrNoSnapshot, "with every snap file broken Load should find no snapshot")
	assert.Equal(t, []string{snapName(1, 10) + ".broken", snapName(1, 20) + ".broken"}, dirNames(t, dir),
		"every broken snap file should have been renamed .broken")
}

func TestLoadNoSnapshot(t *testing.T) {
	tests := []struct {
		name  string
		files []string // created empty in the snap dir
	}{
		{"empty dir", nil},
		{"only the backend, dbs and broken snaps", []string{"db", dbName(7), snapName(1, 3) + ".broken"}},
		{"a stranger file", []string{"notes.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o644))
			}
			s := New(nil, dir)
			_, err := s.Load()
			assert.ErrorIs(t, err, ErrNoSnapshot, "Load should say there is no snapshot")
			_, err = s.LoadNewestAvailable([]WALSnapshot{{Index: 3, Term: 1}})
			assert.ErrorIs(t, err, ErrNoSnapshot, "LoadNewestAvailable should say there is no snapshot")
			assert.Equal(t, slices.Sorted(slices.Values(tt.files)), dirNames(t, dir), "Load should leave files that are not snap files alone")
		})
	}
}

func TestLoadMissingDir(t *testing.T) {
	_, err := New(nil, filepath.Join(t.TempDir(), "absent")).Load()
	assert.ErrorIs(t, err, os.ErrNotExist, "a snap dir that does not exist is an error of its own, not ErrNoSnapshot")
}

func TestLoadNewestAvailable(t *testing.T) {
	saved := []raftpb.Snapshot{testSnap(1, 10), testSnap(2, 20), testSnap(2, 30)}
	tests := []struct {
		name     string
		walSnaps []WALSnapshot
		broken   []raftpb.Snapshot
		want     uint64 // index of the snapshot expected; 0: ErrNoSnapshot
	}{
		{"the WAL knows the newest", []WALSnapshot{{0, 0}, {10, 1}, {20, 2}, {30, 2}}, nil, 30},
		{"the WAL stops short of the newest snap file", []WALSnapshot{{0, 0}, {10, 1}, {20, 2}}, nil, 20},
		{"the WAL knows only the oldest", []WALSnapshot{{10, 1}}, nil, 10},
		{"the index matches but not the term", []WALSnapshot{{30, 3}, {20, 1}}, nil, 0},
		{"the WAL knows none", []WALSnapshot{{0, 0}}, nil, 0},
		{"no WAL snapshots at all", nil, nil, 0},
		{"the known newest is broken", []WALSnapshot{{10, 1}, {20, 2}}, []raftpb.Snapshot{testSnap(2, 20)}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(nil, dir)
			saveAll(t, s, saved...)
			for _, b := range tt.broken {
				require.NoError(t, os.WriteFile(filepath.Join(dir, snapName(b.Metadata.Term, b.Metadata.Index)), []byte("x"), 0o644))
			}

			got, err := s.LoadNewestAvailable(tt.walSnaps)
			if tt.want == 0 {
				assert.ErrorIs(t, err, ErrNoSnapshot, "no snap file matches a WAL snapshot by both index and term: LoadNewestAvailable should find none")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Metadata.Index, "LoadNewestAvailable should return the newest snapshot the WAL also records")
			assert.Equal(t, testSnap(got.Metadata.Term, tt.want), *got)
		})
	}
}

// A crash after the temporary file is written and before it is renamed leaves only the temporary
// file: Load must not see it, and clears it away.
func TestCrashBeforeRenameIsInvisible(t *testing.T) {
	tests := []struct {
		name  string
		older []raftpb.Snapshot
		want  uint64 // 0: ErrNoSnapshot
	}{
		{"with an older snapshot", []raftpb.Snapshot{testSnap(1, 10)}, 10},
		{"with no other snapshot", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(nil, dir)
			saveAll(t, s, tt.older...)
			crashed := testSnap(1, 20)
			data, err := crashed.Marshal()
			require.NoError(t, err)
			tmp, _, err := s.writeTemp(snapName(1, 20), func(w io.Writer) (int64, error) {
				n, err := w.Write(encode(data))
				return int64(n), err
			})
			require.NoError(t, err)
			dbTmp, _, err := s.writeTemp(dbName(20), func(w io.Writer) (int64, error) { return io.Copy(w, strings.NewReader("db")) })
			require.NoError(t, err)
			require.FileExists(t, tmp)
			require.FileExists(t, dbTmp)

			got, err := s.Load()
			if tt.want == 0 {
				assert.ErrorIs(t, err, ErrNoSnapshot, "a snapshot that never got its real name should not be loaded")
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got.Metadata.Index, "Load should return the last snapshot that was renamed into place, not the crashed one")
			}
			var want []string
			for _, o := range tt.older {
				want = append(want, snapName(o.Metadata.Term, o.Metadata.Index))
			}
			assert.Equal(t, want, dirNames(t, dir),
				"Load should have removed the temporary files a crash left behind")
			_, err = s.DBFilePath(20)
			assert.ErrorIs(t, err, ErrNoDBSnapshot, "a db whose save crashed before the rename should not be found")
		})
	}
}

func TestLoadRemovesDefragLeftover(t *testing.T) {
	dir := t.TempDir()
	s := New(nil, dir)
	saveAll(t, s, testSnap(1, 10))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "db.tmp.123"), []byte("half a defrag"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "db"), []byte("the backend"), 0o644))

	_, err := s.Load()
	require.NoError(t, err)
	assert.Equal(t, []string{snapName(1, 10), "db"}, dirNames(t, dir),
		"Load should remove the backend's orphaned db.tmp.* file and keep db itself")
}

func TestReleaseSnapDBs(t *testing.T) {
	dir := t.TempDir()
	s := New(nil, dir)
	for _, f := range []string{dbName(1), dbName(2), dbName(3), snapName(1, 1), "db", "x.snap.db"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o644))
	}

	require.NoError(t, s.ReleaseSnapDBs(testSnap(1, 2)))
	assert.Equal(t, []string{snapName(1, 1), dbName(2), dbName(3), "db", "x.snap.db"}, dirNames(t, dir),
		"ReleaseSnapDBs(index 2) should remove only the .snap.db files of earlier indexes")
}

func TestPurge(t *testing.T) {
	dir := t.TempDir()
	s := New(nil, dir)
	for i := uint64(1); i <= 7; i++ {
		saveAll(t, s, testSnap(1, i))
		_, err := s.SaveDBFrom(strings.NewReader("db"), i)
		require.NoError(t, err)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "db"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, snapName(1, 0)+".broken"), nil, 0o644))

	purged, err := s.Purge(5)
	require.NoError(t, err)
	assert.Equal(t, []string{snapName(1, 1), snapName(1, 2), dbName(1), dbName(2)}, purged,
		"Purge(5) should remove the two oldest .snap and the two oldest .snap.db files")
	var want []string
	for i := uint64(3); i <= 7; i++ {
		want = append(want, snapName(1, i), dbName(i))
	}
	want = append(want, snapName(1, 0)+".broken", "db")
	slices.Sort(want)
	assert.Equal(t, want, dirNames(t, dir), "Purge should keep the newest 5 of each kind and touch nothing else")

	purged, err = s.Purge(5)
	require.NoError(t, err)
	assert.Empty(t, purged, "a second Purge with nothing over the limit should remove nothing")
}
