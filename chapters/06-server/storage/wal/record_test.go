package wal

import (
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWALRecordFrameSize(t *testing.T) {
	tests := []struct {
		dataBytes int
		lenField  uint64
		padBytes  int
	}{
		{dataBytes: 0, lenField: 0, padBytes: 0},
		{dataBytes: 8, lenField: 8, padBytes: 0},
		{dataBytes: 12, lenField: 12 | 0x84<<56, padBytes: 4},
		{dataBytes: 13, lenField: 13 | 0x83<<56, padBytes: 3},
		{dataBytes: 15, lenField: 15 | 0x81<<56, padBytes: 1},
		{dataBytes: 17, lenField: 17 | 0x87<<56, padBytes: 7},
		{dataBytes: 1 << 20, lenField: 1 << 20, padBytes: 0},
	}
	for _, tt := range tests {
		lenField, padBytes := encodeFrameSize(tt.dataBytes)
		assert.Equal(t, tt.padBytes, padBytes, "%d bytes: padding to the next multiple of 8", tt.dataBytes)
		assert.Equal(t, tt.lenField, lenField, "%d bytes: the length word carries 0x80|pad in its top byte", tt.dataBytes)
		recBytes, pad := decodeFrameSize(lenField)
		assert.Equal(t, int64(tt.dataBytes), recBytes, "%d bytes: the size is the word's low 56 bits", tt.dataBytes)
		assert.Equal(t, int64(tt.padBytes), pad, "%d bytes: the pad size in the length word's top byte must be read back", tt.dataBytes)
	}
}

// encodeAll writes recs through an encoder into a file and returns its contents.
func encodeAll(t *testing.T, recs []Record) []byte {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "records"))
	require.NoError(t, err)
	defer f.Close()
	e := newEncoder(f, 0, 0)
	for i := range recs {
		require.NoError(t, e.encode(&recs[i]))
	}
	require.NoError(t, e.flush())
	b, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	return b
}

func TestWALRecordRoundTrip(t *testing.T) {
	var recs []Record
	for n := range 18 {
		recs = append(recs, Record{Type: entryType, Data: []byte("0123456789abcdefgh"[:n])})
	}
	recs = append(recs, Record{Type: crcType})
	b := encodeAll(t, recs)

	d := &decoder{}
	off := int64(0)
	for i, want := range recs {
		require.Zero(t, off%8, "record %d starts at offset %d: every frame is padded to 8 bytes, and the pad size in the length word's top byte must be skipped", i, off)
		got, n, err := d.decodeRecord(b[off:])
		require.NoError(t, err, "record %d at offset %d: the pad size in the length word's top byte must be skipped", i, off)
		assert.Equal(t, want.Type, got.Type, "record %d: type", i)
		assert.Equal(t, want.Crc, got.Crc, "record %d: crc", i)
		assert.Equal(t, string(want.Data), string(got.Data), "record %d: data", i)
		off += n
	}
	assert.Equal(t, int64(len(b)), off, "the frames fill the file exactly")
}

func TestWALRecordCRCChainsAcrossRecords(t *testing.T) {
	recs := []Record{
		{Type: entryType, Data: []byte("first")},
		{Type: entryType, Data: []byte("second")},
		{Type: entryType, Data: []byte("third")},
	}
	b := encodeAll(t, recs)
	table := crc32.MakeTable(crc32.Castagnoli)
	prev := uint32(0)
	for i, r := range recs {
		require.Equal(t, crc32.Update(prev, table, r.Data), r.Crc,
			"record %d: each record's CRC continues the previous one's (Castagnoli, over its data)", i)
		prev = r.Crc
	}

	// Take the second frame out: the third no longer follows the first.
	_, n1, err := decodeFrame(b)
	require.NoError(t, err)
	_, n2, err := decodeFrame(b[n1:])
	require.NoError(t, err)
	spliced := append(append([]byte(nil), b[:n1]...), b[n1+n2:]...)
	d := &decoder{}
	_, _, err = d.decodeRecord(spliced)
	require.NoError(t, err, "the first record")
	_, _, err = d.decodeRecord(spliced[n1:])
	require.ErrorIs(t, err, ErrCRCMismatch,
		"each record's CRC continues the previous one's: a record removed from the middle must break the chain")
}

func TestWALRecordFramingErrors(t *testing.T) {
	good := encodeAll(t, []Record{{Type: entryType, Data: []byte("some data")}})
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"fewer bytes than a length word", good[:5], errFrameBeyondEnd},
		{"a zero length word", make([]byte, 64), errZeroFrame},
		{"a record cut short", good[:len(good)-8], errFrameBeyondEnd},
		{"a record too short for its header", []byte{4, 0, 0, 0, 0, 0, 0, 0x84, 1, 2, 3, 4, 0, 0, 0, 0}, errShortRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeFrame(tt.b)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}
