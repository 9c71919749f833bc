package wal

import (
	"errors"
	"io"
	"os"
	"path/filepath"
)

// Sizes of the framing (etcd's decoder.go): each frame starts with an 8-byte length word, and a
// record starts with its type (8 bytes) and CRC (4 bytes).
const (
	minSectorSize     = 512
	frameSizeBytes    = 8
	recordHeaderBytes = 12
)

// Why a frame did not decode. decodeRecord returns them; badFrame (repair.go) decides whether each
// is the end of the segment, a torn tail or corruption.
var (
	errZeroFrame      = errors.New("wal: zero length word")
	errFrameBeyondEnd = errors.New("wal: frame runs past the end of the file")
	errShortRecord    = errors.New("wal: record too short for its header")
	// errSegmentEnd is badFrame's answer for "nothing more in this segment".
	errSegmentEnd = errors.New("wal: end of segment")
)

// decoder reads the records of a list of segments in order, keeping the running CRC. It reads one
// segment at a time into memory (etcd streams it through a buffered reader): a segment is at most
// a few times SegmentSizeBytes, and having all of it at hand lets badFrame look past a bad frame.
type decoder struct {
	dir   string
	names []string
	i     int    // the segment being read
	buf   []byte // its contents, nil until loaded
	off   int64  // the offset in it just past the last valid record (etcd's lastValidOff)
	crc   uint32
}

func newDecoder(dir string, names []string) *decoder {
	return &decoder{dir: dir, names: names}
}

// decode returns the next record, io.EOF after the last one, a wrapped io.ErrUnexpectedEOF for a
// torn tail, or a *CorruptError.
func (d *decoder) decode() (Record, error) {
	for {
		if d.i >= len(d.names) {
			return Record{}, io.EOF
		}
		if d.buf == nil {
			b, err := os.ReadFile(filepath.Join(d.dir, d.names[d.i]))
			if err != nil {
				return Record{}, err
			}
			d.buf = b
		}
		rest := d.buf[d.off:]
		var err error
		if len(rest) == 0 {
			err = errSegmentEnd
		} else {
			var rec Record
			var n int64
			rec, n, err = d.decodeRecord(rest)
			if err == nil {
				d.off += n
				return rec, nil
			}
			err = d.badFrame(err, rec, n)
		}
		if !errors.Is(err, errSegmentEnd) {
			return Record{}, err
		}
		if d.i == len(d.names)-1 {
			// Keep off: the WAL appends to the last segment from there.
			return Record{}, io.EOF
		}
		d.i, d.buf, d.off = d.i+1, nil, 0
	}
}

// name is the segment being read, for errors.
func (d *decoder) name() string {
	if d.i < len(d.names) {
		return d.names[d.i]
	}
	return ""
}

func (d *decoder) isLast() bool { return d.i == len(d.names)-1 }
