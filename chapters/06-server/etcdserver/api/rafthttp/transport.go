package rafthttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"etcdwalk/chapters/03-propose-wait/transport"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Raft is the receiving end, chapter 03's transport.Raft: EtcdServer.Process.
type Raft = transport.Raft

// Reporter is what etcd's rafthttp.Raft has beyond Process: the transport tells raft that a
// peer is unreachable (raft then stops pipelining appends to it and probes) and how a snapshot
// send ended. Chapter 03's EtcdServer does not have it; a Raft that implements it is told, one
// that does not is not (raft still copes: it resends after its heartbeats go unanswered).
type Reporter interface {
	ReportUnreachable(id uint64)
	ReportSnapshot(id uint64, status raft.SnapshotStatus)
}

type nopReporter struct{}

func (nopReporter) ReportUnreachable(uint64)                   {}
func (nopReporter) ReportSnapshot(uint64, raft.SnapshotStatus) {}

// DefaultDialRetryFrequency is how often a stream reader redials a peer (etcd's 100 ms).
const DefaultDialRetryFrequency = 100 * time.Millisecond

// Transport carries raft messages between this member and its peers over HTTP (etcd's
// transport.go). Set the exported fields, then Join (or set ID and Raft and Start); serve
// Handler on the peer listener; AddPeer each peer.
type Transport struct {
	Logger *slog.Logger // nil: no logging

	DialTimeout        time.Duration // bound on a dial to a peer; default 1 s
	DialRetryFrequency time.Duration // default DefaultDialRetryFrequency

	ID        uint64   // this member's ID; Join sets it
	URLs      []string // this member's peer URLs, sent to peers in X-PeerURLs
	ClusterID uint64   // requests carrying another cluster's ID are refused, both ways
	Raft      Raft     // where received messages go; Join sets it
	// Snapshotter saves the db of an incoming snapshot before its MsgSnap goes to raft; with
	// none, incoming snapshots are refused.
	Snapshotter SnapshotSaver

	reporter   Reporter
	streamRt   *http.Transport
	pipelineRt *http.Transport

	mu      sync.RWMutex
	started bool
	stopped bool
	pending map[uint64][]url.URL // peers added before Start
	peers   map[uint64]Peer
}

var discard = slog.New(slog.DiscardHandler)

func (t *Transport) logger() *slog.Logger {
	if t.Logger == nil {
		return discard
	}
	return t.Logger
}

// Join is chapter 03's transport.Joiner: EtcdServer joins with its ID and itself as the Raft,
// and sends with the Transporter it gets back, which is t. It starts t (see Start); it panics if
// t was started already or has another ID, both mistakes of the wiring.
func (t *Transport) Join(id uint64, r transport.Raft) transport.Transporter {
	t.mu.Lock()
	if t.ID != 0 && t.ID != id {
		t.mu.Unlock()
		panic(fmt.Sprintf("rafthttp: Join as member %s, but the transport is member %s's", idString(id), idString(t.ID)))
	}
	t.ID, t.Raft = id, r
	t.mu.Unlock()
	if err := t.Start(); err != nil {
		panic(err)
	}
	return t
}

var _ transport.Joiner = (*Transport)(nil)
var _ transport.Transporter = (*Transport)(nil)

// Start readies the transport and connects to the peers added so far (etcd's Transport.Start).
// ID and Raft must be set.
func (t *Transport) Start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.started:
		return errors.New("rafthttp: transport started twice")
	case t.ID == 0 || t.Raft == nil:
		return errors.New("rafthttp: Start needs the member's ID and its Raft")
	}
	if t.DialTimeout == 0 {
		t.DialTimeout = time.Second
	}
	if t.DialRetryFrequency == 0 {
		t.DialRetryFrequency = DefaultDialRetryFrequency
	}
	t.reporter = nopReporter{}
	if rep, ok := t.Raft.(Reporter); ok {
		t.reporter = rep
	}
	t.streamRt = newStreamRoundTripper(t.DialTimeout)
	t.pipelineRt = newPipelineRoundTripper(t.DialTimeout)
	t.peers = map[uint64]Peer{}
	t.started = true
	for id, urls := range t.pending {
		if id != t.ID {
			t.peers[id] = startPeer(t, urls, id)
		}
	}
	t.pending = nil
	return nil
}

// Handler serves the peer listener: the pipeline (/raft), the streams (/raft/stream/message/<id>)
// and snapshots (/raft/snapshot). It may be served before Join; peer requests get 503 until then.
func (t *Transport) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(RaftPrefix, t.servePipeline)
	mux.HandleFunc(RaftStreamPrefix+"/", t.serveStream)
	mux.HandleFunc(RaftSnapshotPrefix, t.serveSnapshot)
	return mux
}

// Get returns the peer id, or nil.
func (t *Transport) Get(id uint64) Peer {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.peers[id]
}

// Send queues each message for its recipient and returns at once: a recipient that is not a
// peer, or whose queue is full, loses the message.
func (t *Transport) Send(msgs []raftpb.Message) {
	for _, m := range msgs {
		if m.To == 0 {
			continue
		}
		t.mu.RLock()
		p := t.peers[m.To]
		t.mu.RUnlock()
		if p == nil {
			t.logger().Debug("ignored message send request; unknown remote peer target",
				"type", m.Type.String(), "unknown-target-peer-id", idString(m.To))
			continue
		}
		p.send(m)
	}
}

// SendSnapshot sends a MsgSnap and its db to m.Message.To in the background (etcd's
// Transport.SendSnapshot); the outcome reaches raft through Reporter.ReportSnapshot.
func (t *Transport) SendSnapshot(m SnapMessage) {
	t.mu.RLock()
	p := t.peers[m.Message.To]
	t.mu.RUnlock()
	if p == nil {
		_ = m.ReadCloser.Close()
		t.mu.RLock()
		rep := t.reporter
		t.mu.RUnlock()
		if rep != nil {
			rep.ReportSnapshot(m.Message.To, raft.SnapshotFailure)
		}
		return
	}
	p.sendSnap(m)
}

// AddPeer connects to member id at its peer URLs (the first that works is used). Before Start
// it is remembered and connected at Start; a peer added twice keeps its first URLs. Unlike
// etcd's, which panics, bad URLs are an error.
func (t *Transport) AddPeer(id uint64, us []string) error {
	urls, err := parseURLs(us)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.stopped:
		return errors.New("rafthttp: transport stopped")
	case !t.started:
		if t.pending == nil {
			t.pending = map[uint64][]url.URL{}
		}
		if _, ok := t.pending[id]; !ok {
			t.pending[id] = urls
		}
		return nil
	}
	if _, ok := t.peers[id]; ok || id == t.ID {
		return nil
	}
	t.peers[id] = startPeer(t, urls, id)
	t.logger().Info("added remote peer", "local-member-id", idString(t.ID), "remote-peer-id", idString(id), "remote-peer-urls", us)
	return nil
}

// RemovePeer disconnects member id and forgets it.
func (t *Transport) RemovePeer(id uint64) {
	t.mu.Lock()
	p := t.peers[id]
	delete(t.peers, id)
	delete(t.pending, id)
	t.mu.Unlock()
	if p != nil {
		p.stop()
		t.logger().Info("removed remote peer", "local-member-id", idString(t.ID), "removed-remote-peer-id", idString(id))
	}
}

// ActiveSince is when the link to id last came up, zero while it is down or id is no peer.
func (t *Transport) ActiveSince(id uint64) time.Time {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if p, ok := t.peers[id]; ok {
		return p.activeSince()
	}
	return time.Time{}
}

// ActivePeers is how many peers' links are up.
func (t *Transport) ActivePeers() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, p := range t.peers {
		if !p.activeSince().IsZero() {
			n++
		}
	}
	return n
}

// Stop disconnects every peer and waits for the transport's goroutines; it is idempotent. The
// peer listener is the caller's to close, after Stop (the stream handlers return once their
// writers have stopped).
func (t *Transport) Stop() {
	t.mu.Lock()
	peers := t.peers
	t.peers, t.pending = nil, nil
	t.stopped = true
	t.mu.Unlock()
	for _, p := range peers {
		p.stop()
	}
	if t.streamRt != nil {
		t.streamRt.CloseIdleConnections()
		t.pipelineRt.CloseIdleConnections()
	}
}
