//go:build !(workshop_06 || workshop_walrepair)

package wal

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
)

// badFrame decides what a frame that did not decode at d.off means: cause is decodeRecord's
// error, rec and n the record as read and its frame's size when cause is ErrCRCMismatch.
//
//   - a zero length word followed only by zeros is the unwritten, preallocated rest of the
//     segment: errSegmentEnd;
//   - in the last segment, anything else is a torn tail (the write the crash interrupted, never
//     acknowledged, so never fsynced): a wrapped io.ErrUnexpectedEOF, which Repair cuts off;
//   - except a CRC mismatch followed by a record whose CRC continues the bad record's own: the log
//     went on after the bad record, so its data was damaged after it was written. That is
//     corruption in the middle, as is anything in a segment before the last (a cut synced it
//     whole): a *CorruptError, which nothing repairs, because the records after it were
//     acknowledged.
func (d *decoder) badFrame(cause error, rec Record, n int64) error {
	rest := d.buf[d.off:]
	switch {
	case errors.Is(cause, errZeroFrame):
		if allZero(rest) {
			return errSegmentEnd
		}
	case errors.Is(cause, ErrCRCMismatch):
		if next, _, err := decodeFrame(rest[n:]); err == nil && next.Type != crcType &&
			recordCRC(rec.Crc, next.Data) == next.Crc {
			return d.corrupt(fmt.Errorf("%w, and the next record is valid", cause))
		}
	}
	if d.isLast() {
		return fmt.Errorf("%w: torn record (%v) in %s at offset %d", io.ErrUnexpectedEOF, cause, d.name(), d.off)
	}
	return d.corrupt(cause)
}

// Repair cuts a torn tail off dir's last segment (etcd's repair.go): the segment is copied to
// NAME.broken, then truncated just past its last valid record and synced. It answers nil when
// there was nothing to cut, and an error when the last segment cannot be repaired: corruption
// before its end is not a torn write. A member runs it only after ReadAll answered
// io.ErrUnexpectedEOF, and only once (see OpenAndRepair).
func Repair(dir string) error {
	names, err := readWALNames(dir)
	if err != nil {
		return err
	}
	last := names[len(names)-1]
	path := filepath.Join(dir, last)
	d := newDecoder(dir, []string{last})
	for {
		rec, err := d.decode()
		switch {
		case err == nil:
			if rec.Type == crcType {
				// The first record of a segment carries the CRC of the segments before it; this
				// decoder has not read them, so it takes the chain up from there.
				d.crc = rec.Crc
			}
			continue
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return cutTail(path, d.buf, d.off)
		default:
			return fmt.Errorf("wal: cannot repair %s: %w", last, err)
		}
	}
}
