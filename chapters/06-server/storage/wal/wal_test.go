package wal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
)

func TestWALFileNames(t *testing.T) {
	name := walName(0x12, 0xabcdef)
	assert.Equal(t, "0000000000000012-0000000000abcdef.wal", name, "sequence then index, 16 hex digits each")
	seq, index, err := parseWALName(name)
	require.NoError(t, err)
	assert.Equal(t, []uint64{0x12, 0xabcdef}, []uint64{seq, index})
	for _, bad := range []string{"0.tmp", "0000000000000012-0000000000abcdef.wal.broken", "x-y.wal"} {
		_, _, err := parseWALName(bad)
		assert.ErrorIs(t, err, errBadWALName, "%q is no segment", bad)
	}
	assert.True(t, isValidSeq([]string{walName(3, 10), walName(4, 20), walName(5, 30)}))
	assert.False(t, isValidSeq([]string{walName(3, 10), walName(5, 30)}), "a missing segment is a hole in the log")
	assert.False(t, Exist(t.TempDir()), "an empty directory holds no WAL")
}

func TestWALRoundTrip(t *testing.T) {
	w, dir := newWAL(t, []byte("member 1"))
	assert.True(t, Exist(dir), "Create leaves a segment in dir")
	require.NoError(t, w.Save(raftpb.HardState{Term: 1, Vote: 1, Commit: 0}, ents(1, 5, 1)))
	require.NoError(t, w.SaveSnapshot(Snapshot{Index: 3, Term: 1}))
	require.NoError(t, w.Save(raftpb.HardState{Term: 2, Vote: 2, Commit: 4}, ents(6, 8, 2)))
	require.NoError(t, w.Close())

	_, err := Create(dir, nil)
	require.ErrorIs(t, err, os.ErrExist, "Create must not overwrite a WAL")

	all := append(ents(1, 5, 1), ents(6, 8, 2)...)
	state := raftpb.HardState{Term: 2, Vote: 2, Commit: 4}
	tests := []struct {
		name    string
		snap    Snapshot
		ents    []raftpb.Entry
		wantErr error
	}{
		{name: "from the start", snap: Snapshot{}, ents: all},
		{name: "from the snapshot at 3", snap: Snapshot{Index: 3, Term: 1}, ents: all[3:]},
		{name: "a snapshot never saved", snap: Snapshot{Index: 5, Term: 1}, ents: all[5:], wantErr: ErrSnapshotNotFound},
		{name: "the snapshot's index with another term", snap: Snapshot{Index: 3, Term: 2}, wantErr: ErrSnapshotMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, got, err := reopen(t, dir, tt.snap)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			if errors.Is(tt.wantErr, ErrSnapshotMismatch) {
				return
			}
			assert.Equal(t, "member 1", string(got.metadata), "the metadata given to Create")
			assert.Equal(t, state, got.state, "the last HardState saved")
			assert.Equal(t, tt.ents, got.ents, "the entries after the snapshot")
			require.NoError(t, w.Close())
		})
	}

	// Appending after a restart continues the same log.
	w, _, err = reopen(t, dir, Snapshot{})
	require.NoError(t, err)
	require.NoError(t, w.Save(raftpb.HardState{Term: 2, Vote: 2, Commit: 8}, ents(9, 9, 2)))
	require.NoError(t, w.Close())
	_, got, err := reopen(t, dir, Snapshot{})
	require.NoError(t, err, "the log after an append that followed a restart")
	assert.Equal(t, append(all, ents(9, 9, 2)...), got.ents)
	assert.Equal(t, uint64(8), got.state.Commit)
}

func TestWALSegmentCut(t *testing.T) {
	withSegmentSize(t, 4096)
	w, dir := newWAL(t, []byte("meta"))
	st := raftpb.HardState{Term: 1, Vote: 1}
	for i := uint64(1); i <= 200; i++ {
		st.Commit = i - 1
		require.NoError(t, w.Save(st, ents(i, i, 1)))
		if i == 120 {
			require.NoError(t, w.SaveSnapshot(Snapshot{Index: 120, Term: 1}))
		}
	}
	names := w.Names()
	require.NoError(t, w.Close())

	require.Greater(t, len(names), 3, "200 entries of ~40 bytes must fill several 4096-byte segments")
	assert.Equal(t, names, segments(t, dir), "the WAL holds every segment on disk")
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, de := range des {
		assert.True(t, strings.HasSuffix(de.Name(), ".wal"), "%s: Close leaves no pipeline file behind", de.Name())
	}
	prevIndex := uint64(0)
	for i, name := range names {
		seq, index, err := parseWALName(name)
		require.NoError(t, err)
		assert.Equal(t, uint64(i), seq, "%s: sequence numbers follow one another", name)
		assert.GreaterOrEqual(t, index, prevIndex, "%s: a segment is named for the index of its first entry", name)
		prevIndex = index
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		if i < len(names)-1 {
			fs := framesOf(t, filepath.Join(dir, name))
			last := fs[len(fs)-1]
			assert.Equal(t, last.off+last.size, fi.Size(), "%s: a cut truncates the full segment at its last record", name)
			assert.GreaterOrEqual(t, fi.Size(), int64(4096), "%s: cut only past SegmentSizeBytes", name)
		} else {
			assert.Equal(t, int64(4096), fi.Size(), "%s: the tail is preallocated to SegmentSizeBytes", name)
		}
		fs := framesOf(t, filepath.Join(dir, name))
		require.GreaterOrEqual(t, len(fs), 3)
		assert.Equal(t, []int64{crcType, metadataType}, []int64{fs[0].typ, fs[1].typ},
			"%s: every segment starts with the running CRC and the metadata", name)
	}

	_, got, err := reopen(t, dir, Snapshot{})
	require.NoError(t, err, "reading every segment")
	assert.Equal(t, ents(1, 200, 1), got.ents)
	assert.Equal(t, "meta", string(got.metadata))
	assert.Equal(t, uint64(199), got.state.Commit)

	_, got, err = reopen(t, dir, Snapshot{Index: 120, Term: 1})
	require.NoError(t, err, "reading from the segment that holds the snapshot marker")
	assert.Equal(t, ents(121, 200, 1), got.ents)
}

func TestWALReleaseLockTo(t *testing.T) {
	withSegmentSize(t, 2048)
	w, _ := newWAL(t, nil)
	for i := uint64(1); i <= 100; i++ {
		require.NoError(t, w.Save(raftpb.HardState{Term: 1, Commit: i - 1}, ents(i, i, 1)))
	}
	names := w.Names()
	require.Greater(t, len(names), 3)
	_, second, err := parseWALName(names[2])
	require.NoError(t, err)
	require.NoError(t, w.ReleaseLockTo(second+1))
	assert.Equal(t, names[2:], w.Names(), "keep the segment that holds the index and all after it")
	require.NoError(t, w.ReleaseLockTo(1<<62))
	assert.Equal(t, names[len(names)-1:], w.Names(), "the tail is always kept")
	require.NoError(t, w.Close())
}

func TestWALSaveSyncsWhenRaftMustSync(t *testing.T) {
	tests := []struct {
		name  string
		st    raftpb.HardState
		ents  []raftpb.Entry
		syncs int
	}{
		{name: "nothing", syncs: 0},
		{name: "a commit index only", st: raftpb.HardState{Term: 1, Vote: 1, Commit: 1}, syncs: 0},
		{name: "entries", st: raftpb.HardState{Term: 1, Vote: 1, Commit: 1}, ents: ents(2, 3, 1), syncs: 1},
		{name: "a new term", st: raftpb.HardState{Term: 2, Vote: 1, Commit: 1}, syncs: 1},
		{name: "a new vote", st: raftpb.HardState{Term: 1, Vote: 2, Commit: 1}, syncs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := newWAL(t, nil)
			require.NoError(t, w.Save(raftpb.HardState{Term: 1, Vote: 1}, ents(1, 1, 1)))
			syncs := 0
			w.syncFunc = func(f *os.File) error { syncs++; return f.Sync() }
			require.NoError(t, w.Save(tt.st, tt.ents))
			assert.Equal(t, tt.syncs, syncs, "fsync exactly when raft.MustSync says so")
			require.NoError(t, w.Close())
		})
	}
}

func TestWALFsyncFailureSurfaces(t *testing.T) {
	errDisk := errors.New("injected: disk gone")
	w, _ := newWAL(t, nil)
	require.NoError(t, w.Save(raftpb.HardState{Term: 1, Vote: 1}, ents(1, 1, 1)))
	w.syncFunc = func(*os.File) error { return errDisk }

	err := w.Save(raftpb.HardState{Term: 1, Vote: 1, Commit: 1}, ents(2, 2, 1))
	require.ErrorIs(t, err, errDisk, "Save must return the failed fsync, or raft acts on entries that are not durable")
	w.syncFunc = func(f *os.File) error { return f.Sync() }
	require.ErrorIs(t, w.Save(raftpb.HardState{Term: 1, Vote: 1, Commit: 2}, nil), errDisk,
		"after a failed fsync every later call fails: the pages it lost are not on disk, whatever a later fsync says")
	require.ErrorIs(t, w.Sync(), errDisk)
	require.ErrorIs(t, w.SaveSnapshot(Snapshot{Index: 1, Term: 1}), errDisk)
	require.NoError(t, w.Close())
	require.ErrorIs(t, w.Save(raftpb.HardState{Term: 3}, nil), ErrClosed)
}

func TestWALOverwriteUncommittedSuffix(t *testing.T) {
	w, dir := newWAL(t, nil)
	require.NoError(t, w.Save(raftpb.HardState{Term: 1, Vote: 1, Commit: 2}, ents(1, 5, 1)))
	// A new leader of term 2 replaces the uncommitted 3..5 with its own 3..4.
	require.NoError(t, w.Save(raftpb.HardState{Term: 2, Vote: 2, Commit: 2}, ents(3, 4, 2)))
	require.NoError(t, w.Close())

	want := append(ents(1, 2, 1), ents(3, 4, 2)...)
	w, got, err := reopen(t, dir, Snapshot{})
	require.NoError(t, err)
	assert.Equal(t, want, got.ents, "an entry at an index replaces the one before it and everything after")

	require.NoError(t, w.Save(raftpb.HardState{Term: 2, Vote: 2, Commit: 5}, ents(5, 5, 2)))
	require.NoError(t, w.Close())
	_, got, err = reopen(t, dir, Snapshot{})
	require.NoError(t, err)
	assert.Equal(t, append(want, ents(5, 5, 2)...), got.ents, "the overwritten entry 5 of term 1 does not come back")
}
