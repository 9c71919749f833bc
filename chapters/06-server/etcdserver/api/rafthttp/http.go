package rafthttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"go.etcd.io/raft/v3/raftpb"
)

// The peer listener's paths, as etcd's (http.go).
const (
	RaftPrefix         = "/raft"
	RaftStreamPrefix   = "/raft/stream"
	RaftSnapshotPrefix = "/raft/snapshot"
)

// snapshotLimitByte bounds the message at the head of a snapshot body (etcd's 64 MB); the db
// after it is not bounded.
const snapshotLimitByte = 64 * 1024 * 1024

var (
	// ErrClusterIDMismatch is the 412 answer, and the sender's error, when a request carries
	// another cluster's ID: two clusters whose peer URLs overlap must not mix their logs.
	ErrClusterIDMismatch = errors.New("cluster ID mismatch")
	errMemberRemoved     = errors.New("the member has been permanently removed from the cluster")
	errNotStarted        = errors.New("rafthttp: transport not started")
)

// checkClusterID is the part of etcd's checkClusterCompatibilityFromHeader that is kept (there
// is one server version here, so no version check).
func (t *Transport) checkClusterID(h http.Header, localID uint64) error {
	if gcid := h.Get("X-Etcd-Cluster-ID"); gcid != idString(t.ClusterID) {
		t.logger().Warn("request cluster ID mismatch", "local-member-id", idString(localID),
			"local-member-cluster-id", idString(t.ClusterID), "local-member-server-from", h.Get("X-Server-From"),
			"remote-peer-cluster-id", gcid)
		return ErrClusterIDMismatch
	}
	return nil
}

// precheck answers what every peer request must pass: the method, the cluster ID and a joined
// transport. It returns the raft to hand messages to and this member's ID, and whether the
// request may go on.
func (t *Transport) precheck(w http.ResponseWriter, r *http.Request, method string) (Raft, uint64, bool) {
	if r.Method != method {
		w.Header().Set("Allow", method)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return nil, 0, false
	}
	// The peer listener may serve before Join names this member and its raft.
	t.mu.RLock()
	rf, id := t.Raft, t.ID
	t.mu.RUnlock()
	w.Header().Set("X-Etcd-Cluster-ID", idString(t.ClusterID))
	if err := t.checkClusterID(r.Header, id); err != nil {
		http.Error(w, err.Error(), http.StatusPreconditionFailed)
		return nil, 0, false
	}
	if rf == nil {
		http.Error(w, errNotStarted.Error(), http.StatusServiceUnavailable)
		return nil, 0, false
	}
	return rf, id, true
}

// servePipeline takes one message per POST (etcd's pipelineHandler).
func (t *Transport) servePipeline(w http.ResponseWriter, r *http.Request) {
	rf, _, ok := t.precheck(w, r, http.MethodPost)
	if !ok {
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(readBytesLimit)))
	if err != nil {
		http.Error(w, "error reading raft message", http.StatusBadRequest)
		return
	}
	var m raftpb.Message
	if err := m.Unmarshal(b); err != nil {
		http.Error(w, "error unmarshalling raft message", http.StatusBadRequest)
		return
	}
	if err := rf.Process(r.Context(), m); err != nil {
		t.logger().Warn("failed to process Raft message", "error", err)
		http.Error(w, "error processing raft message", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveSnapshot receives a MsgSnap and its db (etcd's snapshotHandler): the db is saved before
// raft sees the message.
func (t *Transport) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	rf, _, ok := t.precheck(w, r, http.MethodPost)
	if !ok {
		return
	}
	m, err := (&messageDecoder{r: r.Body}).decodeLimit(snapshotLimitByte)
	if err != nil {
		http.Error(w, fmt.Sprintf("failed to decode raft message (%v)", err), http.StatusBadRequest)
		return
	}
	if m.Type != raftpb.MsgSnap {
		http.Error(w, "wrong raft message type", http.StatusBadRequest)
		return
	}
	if t.Snapshotter == nil {
		http.Error(w, "failed to save KV snapshot (no snapshot saver)", http.StatusInternalServerError)
		return
	}
	n, err := t.Snapshotter.SaveDBFrom(r.Body, m.Snapshot.Metadata.Index)
	if err != nil {
		http.Error(w, fmt.Sprintf("failed to save KV snapshot (%v)", err), http.StatusInternalServerError)
		return
	}
	t.logger().Info("received and saved database snapshot", "remote-snapshot-sender-id", idString(m.From),
		"incoming-snapshot-index", m.Snapshot.Metadata.Index, "incoming-snapshot-message-size-bytes", n)
	if err := rf.Process(r.Context(), m); err != nil {
		http.Error(w, fmt.Sprintf("failed to process raft message (%v)", err), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveStream is a peer asking for our messages to it (etcd's streamHandler): the response body
// becomes our stream writer's connection to that peer, and the handler lasts as long as it does.
func (t *Transport) serveStream(w http.ResponseWriter, r *http.Request) {
	_, localID, ok := t.precheck(w, r, http.MethodGet)
	if !ok {
		return
	}
	if path.Dir(r.URL.Path) != streamTypeMessage.endpoint() {
		http.Error(w, "invalid path", http.StatusNotFound)
		return
	}
	from, err := parseID(path.Base(r.URL.Path))
	if err != nil {
		http.Error(w, "invalid from", http.StatusNotFound)
		return
	}
	p := t.Get(from)
	if p == nil {
		t.logger().Warn("failed to find remote peer in cluster", "local-member-id", idString(localID),
			"remote-peer-id-stream-handler", idString(from), "remote-peer-urls", strings.Split(r.Header.Get("X-PeerURLs"), ","))
		http.Error(w, "error sender not found", http.StatusNotFound)
		return
	}
	if gto := r.Header.Get("X-Raft-To"); gto != idString(localID) {
		http.Error(w, "to field mismatch", http.StatusPreconditionFailed)
		return
	}

	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	conn := &outgoingConn{w: w, flush: rc.Flush, rc: rc, closed: make(chan struct{})}
	p.attachOutgoingConn(conn)
	<-conn.closed
}
