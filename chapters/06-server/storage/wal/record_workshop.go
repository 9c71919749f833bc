//go:build workshop_06 || workshop_walrecord

//etcdwalk:exercise name=WALRecord tag=workshop_walrecord tests=^Test(WAL|StartEtcdThreeMembersAndRestart|SnapshotTriggerCatchUpBySnapshot) skip=^TestWALFileNames$

package wal

// Workshop exercise "WALRecord": how a record is framed on disk and how its CRC chains it to
// every record before it. Make `go test -tags workshop_walrecord ./storage/wal/` pass; start
// with `-run '^TestWALRecord'`. The reference answer is record.go; etcd's is in
// server/storage/wal/encoder.go (encode, encodeFrameSize) and decoder.go (decodeRecord,
// decodeFrameSize). Sizes and errors are in decoder.go, crcTable in wal.go.
//
// The layout of a frame, all little-endian:
//
//	length word (8 bytes) | type (8) | crc (4) | data | padding to a multiple of 8

// recordCRC returns the CRC of a record whose data is data, when the record before it had prev.
//
// TODO:
//  1. Continue prev over data with crcTable (Castagnoli). Why continue it rather than start
//     each record's CRC afresh? Think of a record that goes missing from the middle of the log.
func recordCRC(prev uint32, data []byte) uint32 {
	return 0
}

// encodeFrameSize returns the length word for a record of dataBytes bytes, and how many bytes
// of padding follow the record.
//
// TODO:
//  1. Pad to a multiple of 8 bytes (0 to 7 bytes of padding).
//  2. The word is dataBytes; with padding, its top byte is 0x80 | padBytes.
func encodeFrameSize(dataBytes int) (lenField uint64, padBytes int) {
	return 0, 0
}

// decodeFrameSize undoes encodeFrameSize: the record's size and its padding.
//
// TODO:
//  1. The record's size is the low 56 bits; the padding is the low 3 bits of the top byte, when
//     its high bit is set.
func decodeFrameSize(lenField uint64) (recBytes, padBytes int64) {
	return 0, 0
}

// encode appends rec as one frame to e (with e.write), after setting rec.Crc.
//
// TODO:
//  1. Move the running CRC e.crc on over rec.Data with recordCRC; that is rec.Crc. (A crcType
//     record has no data: its CRC is the running one, which is what it carries.)
//  2. Build the frame: length word (encodeFrameSize of recordHeaderBytes+len(rec.Data)), type,
//     CRC, data, padding. Write it in one e.write.
func (e *encoder) encode(rec *Record) error {
	return todo("encoder.encode")
}

// decodeFrame reads the frame at the start of b: the record (with a copy of its data, b is the
// whole segment) and the frame's size, padding included. It checks framing, not the CRC.
//
// TODO:
//  1. Fewer than frameSizeBytes bytes: errFrameBeyondEnd. A zero length word: errZeroFrame
//     (preallocated space, or damage: badFrame in repair.go tells which).
//  2. A record and padding that run past len(b): errFrameBeyondEnd. A record shorter than
//     recordHeaderBytes: errShortRecord.
//  3. Otherwise return the record and frameSizeBytes+recBytes+padBytes.
func decodeFrame(b []byte) (Record, int64, error) {
	return Record{}, 0, todo("decodeFrame")
}

// decodeRecord reads the record at the start of b and checks its CRC against d.crc.
//
// TODO:
//  1. decodeFrame; return its error as it is.
//  2. A crcType record is returned unchecked (ReadAll checks it against d.crc and restarts the
//     chain from it).
//  3. Any other: its CRC must be recordCRC(d.crc, rec.Data). If not, return the record, the
//     frame's size and ErrCRCMismatch (badFrame looks past it). If so, move d.crc on.
func (d *decoder) decodeRecord(b []byte) (Record, int64, error) {
	return Record{}, 0, todo("decoder.decodeRecord")
}
