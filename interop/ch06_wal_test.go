package interop_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The record types of chapter 06's WAL (etcd's walpb values), for messages.
var walRecordTypes = map[int64]string{1: "metadata", 2: "entry", 3: "state", 4: "crc", 5: "snapshot"}

const walEntryType = 2

// A walFrame is one frame of a WAL segment: an 8-byte little-endian length word (the record's
// size; its top byte, if the frame is padded, 0x80|pad), then the record, type (8 bytes), CRC (4)
// and data, then the padding that brings the frame to a multiple of 8 bytes.
type walFrame struct {
	off, size int64 // where the frame starts in the segment, and its length with word and padding
	typ       int64
	data      int64 // where the record's data starts
	dataLen   int64
}

// walSegment is the newest WAL segment of a member's data directory (etcd's layout,
// DATA/member/wal/SEQ-INDEX.wal) and its frames, scanned from its start up to the first zero
// length word: a segment is preallocated with zeros, and the rest is unwritten.
func walSegment(t *testing.T, dataDir string) (path string, contents []byte, frames []walFrame) {
	t.Helper()
	dir := filepath.Join(dataDir, "member", "wal")
	names, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	require.NotEmpty(t, names, "%s should hold the member's WAL segments (*.wal)", dir)
	slices.Sort(names) // %016x-%016x.wal: by sequence number
	path = names[len(names)-1]
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for off := int64(0); off+8 <= int64(len(b)); {
		word := binary.LittleEndian.Uint64(b[off:])
		if word == 0 {
			break
		}
		recBytes, pad := int64(word&^(uint64(0xff)<<56)), int64(0)
		if word&(uint64(0x80)<<56) != 0 {
			pad = int64(word>>56) & 0x7
		}
		f := walFrame{off: off, size: 8 + recBytes + pad, data: off + 8 + 12, dataLen: recBytes - 12}
		require.GreaterOrEqual(t, f.dataLen, int64(0), "%s: the frame at offset %d is shorter than a record header", path, off)
		require.LessOrEqual(t, off+f.size, int64(len(b)), "%s: the frame at offset %d runs past the end of the file", path, off)
		f.typ = int64(binary.LittleEndian.Uint64(b[off+8:]))
		frames = append(frames, f)
		off += f.size
	}
	require.NotEmpty(t, frames, "%s should hold records", path)
	return path, b, frames
}

// putCh06 puts n keys prefix/000 ... through the members of c, each acknowledged, and records
// them in sent.
func putCh06(t *testing.T, c *harness.Cluster, prefix string, n int, sent map[string]*ch06Put) {
	t.Helper()
	cli := newClusterClient(t, c.Endpoints)
	for i := range n {
		p := &ch06Put{key: fmt.Sprintf("%s/%03d", prefix, i), value: fmt.Sprintf("%s %d", prefix, i)}
		resp, err := cli.Put(ctxWithTimeout(t), p.key, p.value)
		require.NoError(t, err, "put %s through a cluster with a majority up should succeed", p.key)
		p.acked, p.rev = true, resp.Header.Revision
		sent[p.key] = p
	}
	require.NoError(t, cli.Close())
}

// TestChapter06TornWALTail damages a member's WAL by hand while the member is down, as a crash
// or a bad disk would, and restarts it:
//
//   - Half a record after the last whole one of its newest segment: the write a crash
//     interrupted, which the member never acknowledged (its fsync never returned). The member
//     repairs the tail (it keeps the segment as it found it in NAME.broken, and cuts it after its
//     last whole record), starts, catches up on what it missed, and the cluster holds every
//     acknowledged write, the same on every member. (Cutting the last whole record instead would
//     take away an entry the member had made durable and acknowledged: its leader then sends it
//     a commit index past the end of its log, and raft panics, "tocommit(44) is out of range
//     [lastIndex(43)]", in etcd as here. A torn tail is a write nobody was told about.)
//   - A byte flipped in the data of an entry in the middle of the log: the records after it were
//     acknowledged, so cutting there would lose them, and the member must refuse to start, with a
//     non-zero exit status and an error that names the segment and the offset of the bad record,
//     and serve nothing. With the byte put back, it starts again and catches up.
func TestChapter06TornWALTail(t *testing.T) {
	t.Parallel()
	c := startCh06(t, ch06FastRaft...)
	sent := map[string]*ch06Put{}
	putCh06(t, c, "ch06/wal/before", 40, sent)
	m := (ch06Leader(t, c) + 1) % len(c.Members) // a follower: the cluster goes on without it
	member, dataDir := c.Members[m], c.Proc().DataDir(m)

	t.Run("a torn last record is cut off, and the member catches up", func(t *testing.T) {
		member.Kill(t)
		putCh06(t, c, "ch06/wal/while-down", 40, sent)

		// The crash interrupted a write: half of a record is on disk after the last whole one.
		// The member never acknowledged it (its fsync never returned). The copy of the last
		// record's first half is such a write: a length word and a record cut short.
		path, b, frames := walSegment(t, dataDir)
		last := frames[len(frames)-1]
		end := last.off + last.size
		torn := b[last.off : last.off+last.size/2]
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.WriteAt(torn, end)
		require.NoError(t, err, "write a torn record at the end of %s", path)
		require.NoError(t, f.Close())
		found, err := os.ReadFile(path)
		require.NoError(t, err)
		t.Logf("%s: %d records, the last one (%s) at offset %d; %d bytes of a torn record written after it, at %d",
			filepath.Base(path), len(frames), walRecordTypes[last.typ], last.off, len(torn), end)

		member.Restart(t)
		broken, err := os.ReadFile(path + ".broken")
		require.NoError(t, err, "the repair should keep the torn segment as it was, in %s.broken", filepath.Base(path))
		assert.Equal(t, found, broken, "%s.broken should hold the torn segment as the member found it", filepath.Base(path))
		repaired, err := os.ReadFile(path)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(repaired), int(end), "the repaired %s should keep every whole record", filepath.Base(path))
		assert.Equal(t, b[:end], repaired[:end], "the repaired %s should keep every whole record as it was", filepath.Base(path))

		putCh06(t, c, "ch06/wal/after-repair", 20, sent)
		st := checkCh06Store(t, c, sent)
		t.Logf("after the repair the store holds revisions 2..%d, one acknowledged put each, the same on every member", st.rev)
	})

	t.Run("a flipped byte in the middle of the log is refused, with the file and offset", func(t *testing.T) {
		member.Stop(t)
		path, b, frames := walSegment(t, dataDir)
		// An entry in the middle of the log, with data, followed by more records.
		i := slices.IndexFunc(frames[len(frames)/2:], func(f walFrame) bool { return f.typ == walEntryType && f.dataLen > 0 })
		require.GreaterOrEqual(t, i, 0, "%s should have entries with data in its second half", path)
		bad := frames[len(frames)/2+i]
		require.Less(t, len(frames)/2+i, len(frames)-1, "the damaged record should not be the last one")
		damaged := slices.Clone(b)
		damaged[bad.data+bad.dataLen/2] ^= 0xff
		require.NoError(t, os.WriteFile(path, damaged, 0o600))
		t.Logf("%s: byte %d flipped, in the data of the entry record at offset %d (record %d of %d)",
			filepath.Base(path), bad.data+bad.dataLen/2, bad.off, len(frames)/2+i+1, len(frames))

		code, output := member.RestartRefused(t)
		assert.NotZero(t, code, "the member should exit with a non-zero status on a corrupt WAL")
		want := fmt.Sprintf("wal: corrupt record in %s at offset %d", filepath.Base(path), bad.off)
		assert.Contains(t, output, want, "the member's error should name the segment and the offset of the bad record")
		u, err := url.Parse(member.Endpoint)
		require.NoError(t, err)
		if conn, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
			conn.Close()
			t.Errorf("nothing should listen on %s's client port %s once it has refused to start", member.Name, u.Host)
		}
		after, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, damaged, after, "a member that refuses a corrupt WAL should leave it as it is, not repair it")

		require.NoError(t, os.WriteFile(path, b, 0o600), "put the byte back")
		member.Restart(t)
		putCh06(t, c, "ch06/wal/after-corruption", 20, sent)
		st := checkCh06Store(t, c, sent)
		t.Logf("with the byte put back the member starts; the store holds revisions 2..%d, the same on every member", st.rev)
	})
}
