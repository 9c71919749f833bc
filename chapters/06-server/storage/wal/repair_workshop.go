//go:build workshop_06 || workshop_walrepair

//etcdwalk:exercise name=WALRepair tag=workshop_walrepair tests=^TestWALRepair

package wal

// Workshop exercise "WALRepair": what a record that does not decode means, and cutting a torn
// tail off. Make `go test -tags workshop_walrepair -run '^TestWALRepair' ./storage/wal/` pass.
// The reference answer is repair.go; etcd's is server/storage/wal/repair.go (Repair), and the
// torn-write checks of decoder.go (decodeRecord, isTornEntry).

// badFrame decides what a frame that failed to decode at d.off means. cause is decodeRecord's
// error; rec and n are the record as read and its frame's size when cause is ErrCRCMismatch.
// d.buf[d.off:] is the rest of the segment, d.isLast() whether it is the last one.
//
// TODO:
//  1. A zero length word (errZeroFrame) with only zeros after it is the preallocated, unwritten
//     rest of the segment: return errSegmentEnd. With anything else after it, it is not.
//  2. A CRC mismatch whose next frame decodes (decodeFrame) and whose CRC continues the bad
//     record's own stored CRC (recordCRC(rec.Crc, next.Data)) means the log went on after it:
//     corruption in the middle, d.corrupt(...). Why must it not be cut off as a torn tail?
//  3. Otherwise, in the last segment: a torn tail, an error that wraps io.ErrUnexpectedEOF and
//     names the segment and offset. In an earlier segment: d.corrupt(cause).
func (d *decoder) badFrame(cause error, rec Record, n int64) error {
	return errSegmentEnd
}

// Repair cuts a torn tail off dir's last segment, keeping a copy of it as NAME.broken.
//
// TODO:
//  1. readWALNames(dir); the last segment is the one to repair.
//  2. Decode it alone (newDecoder(dir, []string{last})). Its first record is a crcType record:
//     take d.crc from it, since this decoder has not read the segments before.
//  3. io.EOF: nothing to repair, return nil. A wrapped io.ErrUnexpectedEOF: cutTail(path,
//     d.buf, d.off). Anything else is not a torn tail: return it.
func Repair(dir string) error {
	return todo("Repair")
}
