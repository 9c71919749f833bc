package rafthttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// streamBufSize is how many messages wait for one peer's stream (etcd's 4096); beyond it Send
// drops rather than wait for a slow peer.
const streamBufSize = 4096

var (
	// ConnReadTimeout and ConnWriteTimeout bound each read and write on a stream (etcd's 5 s).
	ConnReadTimeout  = 5 * time.Second
	ConnWriteTimeout = 5 * time.Second
)

// linkHeartbeatMessage keeps an idle stream from hitting the reader's read deadline; it is no
// raft message (From and To are 0) and the reader drops it.
var linkHeartbeatMessage = raftpb.Message{Type: raftpb.MsgHeartbeat}

func isLinkHeartbeatMessage(m *raftpb.Message) bool {
	return m.Type == raftpb.MsgHeartbeat && m.From == 0 && m.To == 0
}

// outgoingConn is the response of a stream request a peer made to us: we write our messages to
// that peer into it. The stream handler waits on closed until the writer is done with it.
type outgoingConn struct {
	w      io.Writer
	flush  func() error
	rc     *http.ResponseController
	closed chan struct{}
	once   sync.Once
	// interrupted is set by stop: from then on every write fails at once.
	interrupted atomic.Bool
}

// close hands the response back to the handler, which then returns; only the writer's run loop
// calls it, after its last write.
func (c *outgoingConn) close() { c.once.Do(func() { close(c.closed) }) }

// interrupt makes a write that is blocked on a peer that stopped reading fail now rather than at
// its deadline, so that stop does not wait for it.
func (c *outgoingConn) interrupt() {
	c.interrupted.Store(true)
	_ = c.rc.SetWriteDeadline(time.Unix(1, 0))
}

var errInterrupted = errors.New("rafthttp: stream writer stopped")

func (c *outgoingConn) Write(b []byte) (int, error) {
	if c.interrupted.Load() {
		return 0, errInterrupted
	}
	// An error means the ResponseWriter has no deadline support (a wrapping middleware): the
	// listener's own timeouts, if any, then apply.
	_ = c.rc.SetWriteDeadline(time.Now().Add(ConnWriteTimeout))
	if c.interrupted.Load() {
		// stop came between the check and the deadline: put the past deadline back.
		_ = c.rc.SetWriteDeadline(time.Unix(1, 0))
	}
	return c.w.Write(b)
}

// streamWriter sends messages to one peer over the stream that peer opened to us (etcd's
// stream.go streamWriter). Its run loop is the only user of the connection.
type streamWriter struct {
	lg      *slog.Logger
	localID uint64
	peerID  uint64
	status  *peerStatus
	r       Reporter

	mu      sync.Mutex // guards msgc, working and conn, which peer.send and stop read
	msgc    chan raftpb.Message
	working bool
	conn    *outgoingConn

	connc chan *outgoingConn
	stopc chan struct{}
	done  chan struct{}
}

func startStreamWriter(lg *slog.Logger, local, id uint64, status *peerStatus, r Reporter) *streamWriter {
	w := &streamWriter{
		lg: lg, localID: local, peerID: id, status: status, r: r,
		msgc:  make(chan raftpb.Message, streamBufSize),
		connc: make(chan *outgoingConn),
		stopc: make(chan struct{}),
		done:  make(chan struct{}),
	}
	go w.run()
	return w
}

func (cw *streamWriter) run() {
	var (
		msgc       chan raftpb.Message
		heartbeatc <-chan time.Time
		enc        *messageEncoder
		flush      func() error
		batched    int
	)
	tickc := time.NewTicker(ConnReadTimeout / 3)
	defer tickc.Stop()

	lost := func(action string, err error) {
		cw.status.deactivate(streamTypeMessage.String(), action, err)
		cw.close()
		cw.lg.Warn("lost TCP streaming connection with remote peer", "remote-peer-id", idString(cw.peerID), "error", err)
		heartbeatc, msgc = nil, nil
	}

	for {
		select {
		case <-heartbeatc:
			err := enc.encode(&linkHeartbeatMessage)
			if err == nil {
				err = flush()
			}
			if err == nil {
				batched = 0
				continue
			}
			lost("heartbeat", err)

		case m := <-msgc:
			err := enc.encode(&m)
			if err == nil {
				// Flush when the queue is empty or after half a queue: one flush, and one TCP
				// write, for a batch of messages under load.
				if len(msgc) == 0 || batched > streamBufSize/2 {
					err = flush()
					batched = 0
				} else {
					batched++
				}
			}
			if err == nil {
				continue
			}
			lost("write", err)
			cw.r.ReportUnreachable(m.To)

		case conn := <-cw.connc:
			cw.mu.Lock()
			replaced := cw.closeUnlocked()
			enc = &messageEncoder{w: conn}
			flush = conn.flush
			batched = 0
			cw.status.activate()
			cw.conn = conn
			cw.working = true
			cw.mu.Unlock()
			if replaced {
				cw.lg.Info("closed previous TCP streaming connection with remote peer", "remote-peer-id", idString(cw.peerID))
			}
			cw.lg.Info("established TCP streaming connection with remote peer", "stream-writer-type", streamTypeMessage.String(),
				"local-member-id", idString(cw.localID), "remote-peer-id", idString(cw.peerID))
			heartbeatc, msgc = tickc.C, cw.msgc

		case <-cw.stopc:
			cw.close()
			close(cw.done)
			return
		}
	}
}

// writec is where peer.send puts a message for the stream, and whether the stream is up: while
// it is down the pipeline carries the messages instead.
func (cw *streamWriter) writec() (chan<- raftpb.Message, bool) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	return cw.msgc, cw.working
}

func (cw *streamWriter) close() bool {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	return cw.closeUnlocked()
}

// closeUnlocked ends the current connection. The messages still queued were meant for it and are
// dropped with it (a fresh queue for the next connection): raft resends what matters.
func (cw *streamWriter) closeUnlocked() bool {
	if !cw.working {
		return false
	}
	cw.conn.close()
	if len(cw.msgc) > 0 {
		cw.r.ReportUnreachable(cw.peerID)
	}
	cw.msgc = make(chan raftpb.Message, streamBufSize)
	cw.conn = nil
	cw.working = false
	return true
}

// attach gives the writer a new connection; false once the writer has stopped.
func (cw *streamWriter) attach(conn *outgoingConn) bool {
	select {
	case cw.connc <- conn:
		return true
	case <-cw.done:
		return false
	}
}

func (cw *streamWriter) stop() {
	close(cw.stopc)
	cw.mu.Lock()
	if cw.conn != nil {
		cw.conn.interrupt()
	}
	cw.mu.Unlock()
	<-cw.done
}

// streamType names the kind of stream. etcd also has "msgappv2", a compact codec for MsgApp;
// only the general message stream is built here.
type streamType string

const streamTypeMessage streamType = "message"

func (t streamType) endpoint() string { return path.Join(RaftStreamPrefix, string(t)) }

func (t streamType) String() string { return "stream Message" }

// streamReader dials the peer's stream endpoint and hands what arrives to raft (etcd's stream.go
// streamReader). The peer writes its messages for us into the response of our request.
type streamReader struct {
	lg     *slog.Logger
	peerID uint64
	typ    streamType
	tr     *Transport
	picker *urlPicker
	status *peerStatus
	recvc  chan<- raftpb.Message
	propc  chan<- raftpb.Message

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func (cr *streamReader) start() {
	cr.ctx, cr.cancel = context.WithCancel(context.Background())
	cr.done = make(chan struct{})
	go cr.run()
}

func (cr *streamReader) run() {
	defer close(cr.done)
	for {
		last := time.Now()
		rc, err := cr.dial()
		if err != nil {
			cr.status.deactivate(cr.typ.String(), "dial", err)
		} else {
			cr.status.activate()
			cr.lg.Info("established TCP streaming connection with remote peer", "stream-reader-type", cr.typ.String(),
				"local-member-id", idString(cr.tr.ID), "remote-peer-id", idString(cr.peerID))
			err = cr.decodeLoop(rc)
			_ = rc.Close()
			cr.lg.Warn("lost TCP streaming connection with remote peer", "remote-peer-id", idString(cr.peerID), "error", err)
			// A peer that ends the stream cleanly (it is stopping) is not a failure yet: the next
			// dial tells.
			if !errors.Is(err, io.EOF) && cr.ctx.Err() == nil {
				cr.status.deactivate(cr.typ.String(), "read", err)
			}
		}
		// Dial at most once per DialRetryFrequency, however fast the attempts fail.
		wait := time.Until(last.Add(cr.tr.DialRetryFrequency))
		if wait < 0 {
			wait = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-cr.ctx.Done():
			t.Stop()
			return
		}
	}
}

func (cr *streamReader) decodeLoop(rc io.Reader) error {
	dec := &messageDecoder{r: rc}
	for {
		m, err := dec.decode()
		if err != nil {
			return err
		}
		if isLinkHeartbeatMessage(&m) {
			continue
		}
		recvc := cr.recvc
		if m.Type == raftpb.MsgProp {
			// Proposals forwarded to the leader queue apart, so that a burst of them cannot hold
			// up the heartbeats and appends behind them.
			recvc = cr.propc
		}
		select {
		case recvc <- m:
		default:
			cr.lg.Warn("dropped Raft message since receiving buffer is full (overloaded network)",
				"message-type", m.Type.String(), "remote-peer-id", idString(cr.peerID))
		}
	}
}

func (cr *streamReader) stop() {
	cr.cancel()
	<-cr.done
}

func (cr *streamReader) dial() (io.ReadCloser, error) {
	u := cr.picker.pick()
	uu := u
	uu.Path = path.Join(cr.typ.endpoint(), idString(cr.tr.ID))
	req, err := http.NewRequestWithContext(cr.ctx, http.MethodGet, uu.String(), nil)
	if err != nil {
		cr.picker.unreachable(u)
		return nil, fmt.Errorf("rafthttp: make stream request to %v: %w", u.String(), err)
	}
	setHeaders(req, cr.tr)
	req.Header.Set("X-Raft-To", idString(cr.peerID))

	resp, err := cr.tr.streamRt.RoundTrip(req)
	if err != nil {
		cr.picker.unreachable(u)
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, nil
	case http.StatusGone:
		closeBody(resp)
		cr.picker.unreachable(u)
		return nil, errMemberRemoved
	case http.StatusNotFound:
		closeBody(resp)
		cr.picker.unreachable(u)
		return nil, fmt.Errorf("rafthttp: peer %s failed to find local node %s", idString(cr.peerID), idString(cr.tr.ID))
	case http.StatusPreconditionFailed:
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
		closeBody(resp)
		cr.picker.unreachable(u)
		if err != nil {
			return nil, err
		}
		if strings.TrimSuffix(string(b), "\n") == ErrClusterIDMismatch.Error() {
			cr.lg.Warn("request sent was ignored by remote peer due to cluster ID mismatch",
				"remote-peer-id", idString(cr.peerID), "remote-peer-cluster-id", resp.Header.Get("X-Etcd-Cluster-ID"),
				"local-member-cluster-id", idString(cr.tr.ClusterID))
			return nil, ErrClusterIDMismatch
		}
		return nil, fmt.Errorf("rafthttp: unhandled error %q when precondition failed", string(b))
	default:
		closeBody(resp)
		cr.picker.unreachable(u)
		return nil, fmt.Errorf("rafthttp: unhandled http status %d", resp.StatusCode)
	}
}

// closeBody drains a little of an unwanted body so that the connection can be reused.
func closeBody(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
}
