//go:build !(workshop_06 || workshop_walrecord)

package wal

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// recordCRC is the CRC of a record: the running CRC prev, continued over the record's data. A
// record's CRC therefore vouches for every record before it too, and a record lost from the
// middle of the log breaks the chain at the next one.
func recordCRC(prev uint32, data []byte) uint32 {
	return crc32.Update(prev, crcTable, data)
}

// encodeFrameSize is the length word of a record of dataBytes bytes and the padding that brings
// the frame to a multiple of 8 bytes (etcd's encodeFrameSize). Aligned frames keep every length
// word inside one sector, so a torn write never tears a length word. The pad size rides in the
// word's top byte, flagged by its high bit, below 2^56 bytes of record.
func encodeFrameSize(dataBytes int) (lenField uint64, padBytes int) {
	lenField = uint64(dataBytes)
	padBytes = (8 - dataBytes%8) % 8
	if padBytes != 0 {
		lenField |= uint64(0x80|padBytes) << 56
	}
	return lenField, padBytes
}

// decodeFrameSize undoes encodeFrameSize.
func decodeFrameSize(lenField uint64) (recBytes, padBytes int64) {
	recBytes = int64(lenField &^ (uint64(0xff) << 56))
	if lenField&(uint64(0x80)<<56) != 0 {
		padBytes = int64(lenField>>56) & 0x7
	}
	return recBytes, padBytes
}

// encode appends rec as one frame: the length word, then the record (type, CRC, data) and its
// padding. It sets rec.Crc to the running CRC continued over rec.Data. A crcType record has no
// data, so its CRC is the running CRC itself, which is what it is there to carry.
func (e *encoder) encode(rec *Record) error {
	e.crc = recordCRC(e.crc, rec.Data)
	rec.Crc = e.crc
	recBytes := recordHeaderBytes + len(rec.Data)
	lenField, padBytes := encodeFrameSize(recBytes)
	frame := make([]byte, frameSizeBytes+recBytes+padBytes)
	binary.LittleEndian.PutUint64(frame, lenField)
	binary.LittleEndian.PutUint64(frame[frameSizeBytes:], uint64(rec.Type))
	binary.LittleEndian.PutUint32(frame[frameSizeBytes+8:], rec.Crc)
	copy(frame[frameSizeBytes+recordHeaderBytes:], rec.Data)
	return e.write(frame)
}

// decodeFrame reads the frame at the start of b: the record and the frame's size, padding
// included. It checks the framing only, not the CRC.
func decodeFrame(b []byte) (Record, int64, error) {
	if len(b) < frameSizeBytes {
		return Record{}, 0, errFrameBeyondEnd
	}
	lenField := binary.LittleEndian.Uint64(b)
	if lenField == 0 {
		return Record{}, 0, errZeroFrame
	}
	recBytes, padBytes := decodeFrameSize(lenField)
	if recBytes > int64(len(b)-frameSizeBytes)-padBytes {
		return Record{}, 0, errFrameBeyondEnd
	}
	if recBytes < recordHeaderBytes {
		return Record{}, 0, errShortRecord
	}
	body := b[frameSizeBytes : frameSizeBytes+recBytes]
	rec := Record{
		Type: int64(binary.LittleEndian.Uint64(body)),
		Crc:  binary.LittleEndian.Uint32(body[8:]),
		Data: bytes.Clone(body[recordHeaderBytes:]),
	}
	return rec, frameSizeBytes + recBytes + padBytes, nil
}

// decodeRecord reads the record at the start of b and checks its CRC against the running one,
// which it then moves on. On ErrCRCMismatch it still returns the record as read and its frame's
// size: badFrame looks at what follows. A crcType record is not checked here: it restarts the
// chain, and ReadAll compares it with the CRC so far.
func (d *decoder) decodeRecord(b []byte) (Record, int64, error) {
	rec, n, err := decodeFrame(b)
	if err != nil {
		return rec, n, err
	}
	if rec.Type == crcType {
		return rec, n, nil
	}
	crc := recordCRC(d.crc, rec.Data)
	if crc != rec.Crc {
		return rec, n, ErrCRCMismatch
	}
	d.crc = crc
	return rec, n, nil
}
