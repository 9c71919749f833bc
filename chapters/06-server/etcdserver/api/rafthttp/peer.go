package rafthttp

import (
	"context"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

const (
	// recvBufSize messages received from one peer wait for raft (etcd's 4096), and as many
	// forwarded proposals (maxPendingProposals).
	recvBufSize         = 4096
	maxPendingProposals = 4096

	pipelineMsg = "pipeline"
	sendSnap    = "sendMsgSnap"
)

// Peer is the transport's link to one remote member (etcd's peer.go Peer).
type Peer interface {
	// send queues m for the peer without waiting: a full queue drops it.
	send(m raftpb.Message)
	// sendSnap sends a snapshot and its db, in the background.
	sendSnap(m SnapMessage)
	// attachOutgoingConn gives the stream writer the stream the peer opened to us.
	attachOutgoingConn(conn *outgoingConn)
	activeSince() time.Time
	stop()
}

// peer sends with a stream writer (over the stream the remote opened to us) or, while that is
// down and for snapshots, with the pipeline; it receives with a stream reader (over the stream we
// opened to it), and the remote's pipeline and snapshot posts arrive through the Handler.
type peer struct {
	lg      *slog.Logger
	localID uint64
	id      uint64
	r       Raft
	rep     Reporter

	status     *peerStatus
	picker     *urlPicker
	writer     *streamWriter
	pipeline   *pipeline
	snapSender *snapshotSender
	reader     *streamReader

	recvc chan raftpb.Message
	propc chan raftpb.Message

	ctx    context.Context // cancelled by stop: ends Process calls and snapshot sends
	cancel context.CancelFunc
	wg     sync.WaitGroup // the receive loops and the snapshot sends
}

func startPeer(t *Transport, urls []url.URL, peerID uint64) *peer {
	status := newPeerStatus(t.logger(), t.ID, peerID)
	picker := newURLPicker(urls)
	p := &peer{
		lg: t.logger(), localID: t.ID, id: peerID, r: t.Raft, rep: t.reporter,
		status:   status,
		picker:   picker,
		writer:   startStreamWriter(t.logger(), t.ID, peerID, status, t.reporter),
		pipeline: startPipeline(t.logger(), t, peerID, picker, status, t.reporter),
		snapSender: &snapshotSender{lg: t.logger(), tr: t, to: peerID, picker: picker, status: status,
			r: t.reporter},
		recvc: make(chan raftpb.Message, recvBufSize),
		propc: make(chan raftpb.Message, maxPendingProposals),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(2)
	go p.process(p.recvc)
	go p.process(p.propc)

	p.reader = &streamReader{lg: t.logger(), peerID: peerID, typ: streamTypeMessage, tr: t, picker: picker,
		status: status, recvc: p.recvc, propc: p.propc}
	p.reader.start()
	return p
}

// process hands what the stream reader received to raft, in order.
func (p *peer) process(c <-chan raftpb.Message) {
	defer p.wg.Done()
	for {
		select {
		case m := <-c:
			if err := p.r.Process(p.ctx, m); err != nil && p.ctx.Err() == nil {
				p.lg.Warn("failed to process Raft message", "error", err)
			}
		case <-p.ctx.Done():
			return
		}
	}
}

func (p *peer) send(m raftpb.Message) {
	writec, name := p.pick(m)
	select {
	case writec <- m:
	default:
		// Waiting here would stall raft's Ready loop behind one slow peer: drop, tell raft, and
		// let it resend (it probes the follower again after ReportUnreachable).
		p.rep.ReportUnreachable(m.To)
		if isMsgSnap(m) {
			p.rep.ReportSnapshot(m.To, raft.SnapshotFailure)
		}
		p.lg.Warn("dropped internal Raft message since sending buffer is full", "message-type", m.Type.String(),
			"local-member-id", idString(p.localID), "remote-peer-id", idString(p.id), "remote-peer-name", name,
			"remote-peer-active", p.status.isActive())
	}
}

func (p *peer) sendSnap(m SnapMessage) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.snapSender.send(p.ctx, m)
	}()
}

func (p *peer) attachOutgoingConn(conn *outgoingConn) {
	if !p.writer.attach(conn) {
		conn.close()
	}
}

func (p *peer) activeSince() time.Time { return p.status.activeSince() }

func (p *peer) stop() {
	p.cancel()
	p.writer.stop()
	p.pipeline.stopAndWait()
	p.reader.stop()
	p.wg.Wait()
}

// pick chooses the channel for m: the pipeline for snapshots (their size would hold up the
// stream) and while the stream is down, the stream otherwise.
func (p *peer) pick(m raftpb.Message) (writec chan<- raftpb.Message, picked string) {
	if isMsgSnap(m) {
		return p.pipeline.msgc, pipelineMsg
	}
	if writec, ok := p.writer.writec(); ok {
		return writec, streamTypeMessage.String()
	}
	return p.pipeline.msgc, pipelineMsg
}

func isMsgSnap(m raftpb.Message) bool { return m.Type == raftpb.MsgSnap }
