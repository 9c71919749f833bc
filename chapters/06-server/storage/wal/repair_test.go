package wal

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
)

// writeLog saves entries 1..n one Save each, and returns the WAL's directory, closed.
func writeLog(t *testing.T, n uint64) string {
	t.Helper()
	w, dir := newWAL(t, []byte("meta"))
	for i := uint64(1); i <= n; i++ {
		require.NoError(t, w.Save(raftpb.HardState{Term: 1, Vote: 1, Commit: i - 1}, ents(i, i, 1)))
	}
	require.NoError(t, w.Close())
	return dir
}

// lastEntryFrame is the frame of the last entry record of a segment, and the one before it.
func lastEntryFrame(t *testing.T, path string) frame {
	t.Helper()
	fs := framesOf(t, path)
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].typ == entryType {
			return fs[i]
		}
	}
	t.Fatalf("%s has no entry record", path)
	return frame{}
}

func TestWALRepairTornTail(t *testing.T) {
	tests := []struct {
		name string
		// tear damages the tail segment's last entry frame.
		tear func(b []byte, last frame) []byte
		// torn: ReadAll must answer io.ErrUnexpectedEOF (else the damage reads as a clean end).
		torn bool
	}{
		{
			name: "file cut in the middle of the last record",
			tear: func(b []byte, last frame) []byte { return b[:last.off+last.size/2] },
			torn: true,
		},
		{
			name: "file cut inside the last length word",
			tear: func(b []byte, last frame) []byte { return b[:last.off+3] },
			torn: true,
		},
		{
			name: "zeros from the middle of the last record on",
			tear: func(b []byte, last frame) []byte {
				clear(b[last.off+last.size/2:])
				return b
			},
			torn: true,
		},
		{
			name: "the last record zeroed whole: the write never reached the disk",
			tear: func(b []byte, last frame) []byte {
				clear(b[last.off:])
				return b
			},
			torn: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeLog(t, 10)
			names := segments(t, dir)
			require.Len(t, names, 1)
			path := filepath.Join(dir, names[0])
			last := lastEntryFrame(t, path)
			damage(t, path, func(b []byte) []byte { return tt.tear(b, last) })

			w, err := Open(dir, Snapshot{})
			require.NoError(t, err)
			_, _, _, err = w.ReadAll()
			require.NoError(t, w.Close())
			if tt.torn {
				require.ErrorIs(t, err, io.ErrUnexpectedEOF, "a torn tail is reported, so that the member repairs it before it writes")
				require.NoError(t, Repair(dir), "Repair cuts a torn tail off")
				_, err := os.Stat(path + ".broken")
				require.NoError(t, err, "Repair keeps the torn segment as it was in NAME.broken")
			} else {
				require.NoError(t, err, "a zero length word followed by zeros is the end of the log")
			}

			w, md, st, got, err := OpenAndRepair(dir, Snapshot{})
			require.NoError(t, err, "after the repair the log reads to its end")
			assert.Equal(t, "meta", string(md))
			assert.Equal(t, ents(1, 9, 1), got, "every record before the torn one is kept")
			assert.Equal(t, uint64(8), st.Commit, "the hard state saved with entry 9")

			// The log goes on where the repair cut it.
			require.NoError(t, w.Save(raftpb.HardState{Term: 2, Vote: 2, Commit: 9}, ents(10, 11, 2)))
			require.NoError(t, w.Close())
			_, back, err := reopen(t, dir, Snapshot{})
			require.NoError(t, err)
			assert.Equal(t, append(ents(1, 9, 1), ents(10, 11, 2)...), back.ents)
		})
	}
}

func TestWALRepairOpenRepairsATornTailOnce(t *testing.T) {
	dir := writeLog(t, 5)
	path := filepath.Join(dir, segments(t, dir)[0])
	last := lastEntryFrame(t, path)
	damage(t, path, func(b []byte) []byte { return b[:last.off+last.size-4] })
	w, _, _, got, err := OpenAndRepair(dir, Snapshot{})
	require.NoError(t, err, "OpenAndRepair repairs a torn tail")
	assert.Equal(t, ents(1, 4, 1), got)
	require.NoError(t, w.Close())
	require.NoError(t, Repair(dir), "a log without a torn tail has nothing to repair")
}

func TestWALRepairRefusesCorruptionInTheMiddle(t *testing.T) {
	flip := func(off int64) func([]byte) []byte {
		return func(b []byte) []byte { b[off] ^= 0x40; return b }
	}
	tests := []struct {
		name string
		// segmentSize: small enough to make several segments, or 0 for one.
		segmentSize int64
		// pick chooses the segment and the frame to damage, and how.
		pick func(t *testing.T, dir string, names []string) (seg string, off int64, change func([]byte) []byte)
		want string // what the test checks for
	}{
		{
			name: "a flipped byte in a record followed by valid ones, in the last segment",
			pick: func(t *testing.T, dir string, names []string) (string, int64, func([]byte) []byte) {
				fs := framesOf(t, filepath.Join(dir, names[0]))
				f := fs[len(fs)/2]
				return names[0], f.off, flip(f.off + frameSizeBytes + recordHeaderBytes + 1)
			},
			want: "a bad record followed by valid ones is corruption in the middle, not a torn tail: repairing it would drop acknowledged records",
		},
		{
			name:        "a flipped byte in the last record of a segment before the last",
			segmentSize: 2048,
			pick: func(t *testing.T, dir string, names []string) (string, int64, func([]byte) []byte) {
				f := lastEntryFrame(t, filepath.Join(dir, names[0]))
				return names[0], f.off, flip(f.off + frameSizeBytes + recordHeaderBytes + 1)
			},
			want: "a segment before the last was synced whole: no damage in it is a torn write",
		},
		{
			name:        "a zeroed record in the middle of a segment before the last",
			segmentSize: 2048,
			pick: func(t *testing.T, dir string, names []string) (string, int64, func([]byte) []byte) {
				fs := framesOf(t, filepath.Join(dir, names[0]))
				f := fs[len(fs)/2]
				return names[0], f.off, func(b []byte) []byte { clear(b[f.off : f.off+f.size]); return b }
			},
			want: "a zero length word with data after it is not the end of the segment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.segmentSize > 0 {
				withSegmentSize(t, tt.segmentSize)
			}
			dir := writeLog(t, 60)
			names := segments(t, dir)
			if tt.segmentSize > 0 {
				require.Greater(t, len(names), 2, "the test needs several segments")
			} else {
				require.Len(t, names, 1)
			}
			seg, off, change := tt.pick(t, dir, names)
			path := filepath.Join(dir, seg)
			damage(t, path, change)
			before, err := os.ReadFile(path)
			require.NoError(t, err)

			_, _, err = reopen(t, dir, Snapshot{})
			var ce *CorruptError
			require.ErrorAs(t, err, &ce, "%s; ReadAll answered %v", tt.want, err)
			assert.Equal(t, seg, ce.File, "%s: the error names the damaged segment", tt.want)
			assert.Equal(t, off, ce.Offset, "%s: the error names the damaged record's offset", tt.want)
			assert.Contains(t, err.Error(), seg)
			assert.False(t, errors.Is(err, io.ErrUnexpectedEOF), "%s: it must not be taken for a torn tail", tt.want)

			_, _, _, _, err = OpenAndRepair(dir, Snapshot{})
			require.ErrorAs(t, err, &ce, "OpenAndRepair must not repair corruption away")
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before, after, "%s: nothing may be truncated", tt.want)
		})
	}
}
