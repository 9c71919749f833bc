package snap

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
)

// closeRecorder is a db reader that remembers being closed.
type closeRecorder struct {
	io.Reader
	closed   bool
	closeErr error
}

func (c *closeRecorder) Close() error { c.closed = true; return c.closeErr }

func TestMessage(t *testing.T) {
	errSend := errors.New("peer went away")
	tests := []struct {
		name     string
		db       string
		size     int64
		closeErr error // from the underlying reader's Close
		sendErr  error // what the sender passes to CloseWithError
		readErr  error // what reading the whole db gives; nil: io.ReadAll succeeds
		unread   bool  // the sender closes without reading the db
		ok       bool  // what CloseNotify should receive
	}{
		{"exact size, sent", "0123456789", 10, nil, nil, nil, false, true},
		{"exact size, send failed", "0123456789", 10, nil, errSend, nil, false, false},
		{"fewer bytes than announced", "01234", 10, nil, nil, ErrShortRead, false, false},
		{"more bytes than announced", "0123456789abc", 10, nil, nil, ErrExpectEOF, false, false},
		{"closed before the db was read", "0123456789", 10, nil, nil, nil, true, false},
		{"reader fails to close", "0123456789", 10, errSend, nil, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := raftpb.Message{Type: raftpb.MsgSnap, To: 2, From: 1, Snapshot: &raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 10, Term: 1}}}
			rc := &closeRecorder{Reader: strings.NewReader(tt.db), closeErr: tt.closeErr}
			msg := NewMessage(m, rc, tt.size)
			assert.Equal(t, int64(m.Size())+tt.size, msg.TotalSize, "TotalSize should be the raft message's size plus the announced db size")
			assert.Equal(t, m, msg.Message)

			sendErr := tt.sendErr
			if !tt.unread {
				_, err := io.ReadAll(msg.ReadCloser)
				if tt.readErr != nil {
					assert.ErrorIs(t, err, tt.readErr, "reading a db of the wrong size should fail")
				} else {
					assert.NoError(t, err)
				}
				if err != nil {
					sendErr = err // as the transport does: a db that could not be copied is a failed send
				}
			}
			msg.CloseWithError(sendErr)
			assert.True(t, rc.closed, "CloseWithError should close the db reader")
			select {
			case ok := <-msg.CloseNotify():
				assert.Equal(t, tt.ok, ok, "CloseNotify should report whether the snapshot was sent whole")
			default:
				require.Fail(t, "CloseNotify should have a value once CloseWithError returned")
			}
		})
	}
}
