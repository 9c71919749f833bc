package wal

import (
	"bufio"
	"os"
)

// encoder appends framed records to the tail segment (etcd's encoder.go). crc is the running
// CRC: every record's CRC covers its data and, through prev, every record before it, across
// segments. Writes are buffered and reach the file on flush; off counts what has been written,
// flushed or not, so the WAL knows when the segment is full.
type encoder struct {
	bw  *bufio.Writer
	crc uint32
	off int64
	err error // the first write error: a half-written frame must not be followed by another
}

// walPageBytes is the buffer's size, a few sectors, as etcd's page writer uses.
const walPageBytes = 8 * minSectorSize

func newEncoder(f *os.File, prevCrc uint32, off int64) *encoder {
	return &encoder{bw: bufio.NewWriterSize(f, walPageBytes), crc: prevCrc, off: off}
}

func (e *encoder) write(frame []byte) error {
	if e.err != nil {
		return e.err
	}
	n, err := e.bw.Write(frame)
	e.off += int64(n)
	e.err = err
	return err
}

func (e *encoder) flush() error {
	if e.err != nil {
		return e.err
	}
	e.err = e.bw.Flush()
	return e.err
}
