package rafthttp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"go.etcd.io/raft/v3/raftpb"
)

// readBytesLimit bounds one message read from a stream (etcd's 512 MB): a corrupt length prefix
// must not make the reader allocate without limit.
const readBytesLimit uint64 = 512 * 1024 * 1024

// ErrExceedSizeLimit: a message's length prefix is over the decoder's limit.
var ErrExceedSizeLimit = errors.New("rafthttp: error limit exceeded")

// messageEncoder writes messages as etcd's msg_codec.go does: the marshalled size as 8 bytes big
// endian, then the marshalled message. The same framing carries the stream and the head of a
// snapshot body.
type messageEncoder struct {
	w io.Writer
}

func (enc *messageEncoder) encode(m *raftpb.Message) error {
	b, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("rafthttp: marshal %s: %w", m.Type, err)
	}
	var l [8]byte
	binary.BigEndian.PutUint64(l[:], uint64(len(b)))
	if _, err := enc.w.Write(l[:]); err != nil {
		return err
	}
	_, err = enc.w.Write(b)
	return err
}

type messageDecoder struct {
	r io.Reader
}

func (dec *messageDecoder) decode() (raftpb.Message, error) {
	return dec.decodeLimit(readBytesLimit)
}

// decodeLimit reads one message; a stream that ends cleanly between two messages gives io.EOF,
// one that ends inside a message io.ErrUnexpectedEOF.
func (dec *messageDecoder) decodeLimit(limit uint64) (raftpb.Message, error) {
	var m raftpb.Message
	var l [8]byte
	if _, err := io.ReadFull(dec.r, l[:]); err != nil {
		return m, err
	}
	n := binary.BigEndian.Uint64(l[:])
	if n > limit {
		return m, ErrExceedSizeLimit
	}
	buf := make([]byte, int(n))
	if _, err := io.ReadFull(dec.r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return m, err
	}
	return m, m.Unmarshal(buf)
}
