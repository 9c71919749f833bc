package snap

import (
	"errors"
	"io"

	"go.etcd.io/raft/v3/raftpb"
)

// Message is a MsgSnap together with the db it ships: raft's message carries the snapshot's
// metadata (and whatever small Data the server puts in it), ReadCloser the bbolt file, which is
// streamed rather than held in memory. The transport sends the two in one request and closes
// the Message when done; whoever handed it over learns the outcome from CloseNotify.
type Message struct {
	raftpb.Message
	ReadCloser io.ReadCloser
	TotalSize  int64
	closeC     chan bool
}

// NewMessage wraps rs and the db in rc, which must hold exactly rcSize bytes: fewer or more is
// an error from Read or Close, so a db cut short in transit is never taken for a whole one.
func NewMessage(rs raftpb.Message, rc io.ReadCloser, rcSize int64) *Message {
	return &Message{
		Message:    rs,
		ReadCloser: &exactReadCloser{rc: rc, total: rcSize},
		TotalSize:  int64(rs.Size()) + rcSize,
		closeC:     make(chan bool, 1),
	}
}

// CloseNotify returns a channel that receives one value when the send is over: true if it
// succeeded.
func (m Message) CloseNotify() <-chan bool { return m.closeC }

// CloseWithError closes the db reader and reports the send as failed if err is not nil or the
// close fails (a short read shows there). It is called once.
func (m Message) CloseWithError(err error) {
	if cerr := m.ReadCloser.Close(); cerr != nil {
		err = cerr
	}
	m.closeC <- err == nil
}

// ErrShortRead and ErrExpectEOF are what a Message's ReadCloser returns when the db holds fewer
// or more bytes than announced (etcd's pkg/ioutil errors).
var (
	ErrShortRead = errors.New("ioutil: short read")
	ErrExpectEOF = errors.New("ioutil: expect EOF")
)

// exactReadCloser is etcd's pkg/ioutil.NewExactReadCloser: a reader held to a byte count.
type exactReadCloser struct {
	rc    io.ReadCloser
	read  int64
	total int64
}

func (e *exactReadCloser) Read(p []byte) (int, error) {
	n, err := e.rc.Read(p)
	e.read += int64(n)
	switch {
	case e.read > e.total:
		return 0, ErrExpectEOF
	case e.read < e.total && n == 0:
		return 0, ErrShortRead
	}
	return n, err
}

func (e *exactReadCloser) Close() error {
	if err := e.rc.Close(); err != nil {
		return err
	}
	if e.read < e.total {
		return ErrShortRead
	}
	return nil
}
