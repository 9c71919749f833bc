package rafthttp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// SnapMessage is a MsgSnap together with the backend's db to send after it (etcd's snap.Message,
// reduced: the snap package is a separate step). The transport closes ReadCloser when the send
// ends, either way; the outcome reaches raft through Reporter.ReportSnapshot.
type SnapMessage struct {
	Message    raftpb.Message
	ReadCloser io.ReadCloser
}

// SnapshotSaver is where a received db goes (etcd's Snapshotter.SaveDBFrom): it reads r to the
// end, keeps the db for the snapshot at index, and says how many bytes it saved. Only then is the
// MsgSnap handed to raft, so that raft never applies a snapshot whose db is missing.
type SnapshotSaver interface {
	SaveDBFrom(r io.Reader, index uint64) (int64, error)
}

// snapResponseReadTimeout bounds the wait for the receiver's answer once the body is sent.
var snapResponseReadTimeout = 5 * time.Second

// snapshotSender posts a MsgSnap and its db to the peer's /raft/snapshot (etcd's
// snapshot_sender.go): the body is the length-prefixed message followed by the db's bytes.
type snapshotSender struct {
	lg     *slog.Logger
	tr     *Transport
	to     uint64
	picker *urlPicker
	status *peerStatus
	r      Reporter
}

func (s *snapshotSender) send(ctx context.Context, sm SnapMessage) {
	m := sm.Message
	defer sm.ReadCloser.Close()

	var head bytes.Buffer
	if err := (&messageEncoder{w: &head}).encode(&m); err != nil {
		s.failed(m, err)
		return
	}
	u := s.picker.pick()
	req, err := createPostRequest(ctx, u, RaftSnapshotPrefix, io.MultiReader(&head, sm.ReadCloser), "application/octet-stream", s.tr)
	if err != nil {
		s.failed(m, err)
		return
	}
	s.lg.Info("sending database snapshot", "remote-peer-id", idString(s.to), "snapshot-index", m.Snapshot.Metadata.Index)
	if err := s.post(req); err != nil {
		s.picker.unreachable(u)
		s.failed(m, err)
		return
	}
	s.status.activate()
	s.r.ReportSnapshot(m.To, raft.SnapshotFinish)
	s.lg.Info("sent database snapshot", "remote-peer-id", idString(s.to), "snapshot-index", m.Snapshot.Metadata.Index)
}

func (s *snapshotSender) failed(m raftpb.Message, err error) {
	s.lg.Warn("failed to send database snapshot", "remote-peer-id", idString(s.to), "error", err)
	s.status.deactivate(sendSnap, "post", err)
	s.r.ReportUnreachable(m.To)
	s.r.ReportSnapshot(m.To, raft.SnapshotFailure)
}

func (s *snapshotSender) post(req *http.Request) error {
	resp, err := s.tr.pipelineRt.RoundTrip(req)
	if err != nil {
		return err
	}
	t := time.AfterFunc(snapResponseReadTimeout, func() { _ = resp.Body.Close() })
	defer t.Stop()
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	return checkPostResponse(resp, body, req)
}
