package rafthttp

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
)

func TestMessageCodecRoundTrip(t *testing.T) {
	msgs := []raftpb.Message{
		{Type: raftpb.MsgApp, From: 1, To: 2, Term: 3, Index: 4, LogTerm: 3, Commit: 4,
			Entries: []raftpb.Entry{{Term: 3, Index: 5, Data: []byte("put foo bar")}}},
		{Type: raftpb.MsgHeartbeat, From: 2, To: 1, Term: 3},
		linkHeartbeatMessage,
		{Type: raftpb.MsgSnap, From: 1, To: 3, Snapshot: &raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 42, Term: 3}}},
	}
	var buf bytes.Buffer
	enc := &messageEncoder{w: &buf}
	for i := range msgs {
		require.NoError(t, enc.encode(&msgs[i]))
	}
	// The frame is the marshalled size as 8 bytes big endian, then the message (etcd's format).
	require.Equal(t, uint64(msgs[0].Size()), binary.BigEndian.Uint64(buf.Bytes()[:8]), "first frame's length prefix")

	dec := &messageDecoder{r: &buf}
	for i, want := range msgs {
		got, err := dec.decode()
		require.NoError(t, err, "message %d", i)
		require.Equal(t, want, got, "message %d should come back as it was encoded", i)
	}
	_, err := dec.decode()
	require.ErrorIs(t, err, io.EOF, "a stream that ends between two messages ends with io.EOF")
}

func TestMessageDecoderErrors(t *testing.T) {
	m := raftpb.Message{Type: raftpb.MsgApp, From: 1, To: 2, Entries: []raftpb.Entry{{Data: make([]byte, 100)}}}
	var whole bytes.Buffer
	require.NoError(t, (&messageEncoder{w: &whole}).encode(&m))

	tests := []struct {
		name  string
		in    []byte
		limit uint64
		want  error
	}{
		{"torn length prefix", whole.Bytes()[:5], readBytesLimit, io.ErrUnexpectedEOF},
		{"torn message", whole.Bytes()[:whole.Len()-1], readBytesLimit, io.ErrUnexpectedEOF},
		{"over the limit", whole.Bytes(), uint64(m.Size() - 1), ErrExceedSizeLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&messageDecoder{r: bytes.NewReader(tt.in)}).decodeLimit(tt.limit)
			require.ErrorIs(t, err, tt.want)
		})
	}
}
