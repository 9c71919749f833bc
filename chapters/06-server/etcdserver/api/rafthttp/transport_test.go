package rafthttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/goleak"
)

const (
	testClusterID = 0x1000
	waitFor       = 10 * time.Second
	tick          = 10 * time.Millisecond
)

// fakeRaft is a member's raft as the transport sees it: it keeps what it is given and what it is
// told about unreachable peers and snapshots.
type fakeRaft struct {
	recvc chan raftpb.Message

	mu          sync.Mutex
	unreachable map[uint64]int
	snaps       []raft.SnapshotStatus
}

func newFakeRaft() *fakeRaft {
	return &fakeRaft{recvc: make(chan raftpb.Message, 1<<16), unreachable: map[uint64]int{}}
}

func (r *fakeRaft) Process(ctx context.Context, m raftpb.Message) error {
	select {
	case r.recvc <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *fakeRaft) ReportUnreachable(id uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unreachable[id]++
}

func (r *fakeRaft) ReportSnapshot(_ uint64, status raft.SnapshotStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snaps = append(r.snaps, status)
}

func (r *fakeRaft) unreachableCount(id uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unreachable[id]
}

func (r *fakeRaft) snapReports() []raft.SnapshotStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]raft.SnapshotStatus(nil), r.snaps...)
}

// receive waits for the next message raft gets.
func (r *fakeRaft) receive(t *testing.T, what string) raftpb.Message {
	t.Helper()
	select {
	case m := <-r.recvc:
		return m
	case <-time.After(waitFor):
		require.FailNow(t, "no message arrived", "waited %v for %s", waitFor, what)
		return raftpb.Message{}
	}
}

// member is one transport serving its Handler on a loopback httptest server.
type member struct {
	id     uint64
	tr     *Transport
	raft   *fakeRaft
	srv    *httptest.Server
	url    string
	posts  atomic.Int64 // pipeline POSTs to /raft received
	served http.Handler
}

type memberOpt func(*member)

func withClusterID(cid uint64) memberOpt { return func(m *member) { m.tr.ClusterID = cid } }

func withSnapshotter(s SnapshotSaver) memberOpt { return func(m *member) { m.tr.Snapshotter = s } }

// onAddr serves the member on addr (a restarted member keeps its peer URL).
func onAddr(addr string) memberOpt {
	return func(m *member) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			panic(fmt.Sprintf("listen again on %s: %v", addr, err))
		}
		m.srv.Listener = ln
	}
}

func startMember(t *testing.T, id uint64, opts ...memberOpt) *member {
	t.Helper()
	m := &member{id: id, raft: newFakeRaft(), tr: &Transport{ClusterID: testClusterID}}
	m.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == RaftPrefix {
			m.posts.Add(1)
		}
		m.served.ServeHTTP(w, r)
	}))
	for _, o := range opts {
		o(m)
	}
	m.served = m.tr.Handler()
	m.srv.Start()
	m.url = m.srv.URL
	m.tr.Join(id, m.raft)
	t.Cleanup(m.stop)
	return m
}

// stop stops the transport first: its stream handlers return once its writers stop, and only
// then can the server close.
func (m *member) stop() {
	m.tr.Stop()
	m.srv.Close()
}

func connect(t *testing.T, ms ...*member) {
	t.Helper()
	for _, a := range ms {
		for _, b := range ms {
			if a != b {
				require.NoError(t, a.tr.AddPeer(b.id, []string{b.url}))
			}
		}
	}
}

// streamUp reports whether a's stream writer to b has a connection: b's reader has dialled a.
func streamUp(a *member, b uint64) bool {
	p, ok := a.tr.Get(b).(*peer)
	if !ok {
		return false
	}
	_, working := p.writer.writec()
	return working
}

func waitStreams(t *testing.T, ms ...*member) {
	t.Helper()
	for _, a := range ms {
		for _, b := range ms {
			if a != b {
				require.Eventually(t, func() bool { return streamUp(a, b.id) && !a.tr.ActiveSince(b.id).IsZero() }, waitFor, tick,
					"member %d's stream to member %d should come up", a.id, b.id)
			}
		}
	}
}

func TestStreamDeliversBothWays(t *testing.T) {
	ms := []*member{startMember(t, 1), startMember(t, 2), startMember(t, 3)}
	connect(t, ms...)
	waitStreams(t, ms...)

	const n = 100
	for _, a := range ms {
		var msgs []raftpb.Message
		for _, b := range ms {
			if a != b {
				for i := range n {
					msgs = append(msgs, raftpb.Message{Type: raftpb.MsgApp, From: a.id, To: b.id, Index: uint64(i),
						Entries: []raftpb.Entry{{Index: uint64(i) + 1, Data: []byte(fmt.Sprintf("%d->%d #%d", a.id, b.id, i))}}})
				}
			}
		}
		a.tr.Send(msgs)
	}
	for _, b := range ms {
		next := map[uint64]uint64{}
		for range n * (len(ms) - 1) {
			m := b.raft.receive(t, fmt.Sprintf("member %d's messages", b.id))
			require.Equal(t, b.id, m.To)
			// One stream per pair keeps each sender's messages in order.
			require.Equal(t, next[m.From], m.Index, "member %d should get member %d's messages in the order sent", b.id, m.From)
			require.Equal(t, fmt.Sprintf("%d->%d #%d", m.From, b.id, m.Index), string(m.Entries[0].Data))
			next[m.From]++
		}
	}
	for _, m := range ms {
		assert.Zero(t, m.posts.Load(), "with every stream up, nothing should go through member %d's pipeline", m.id)
	}
}

func TestPipelineDeliversWhileStreamDown(t *testing.T) {
	a, b := startMember(t, 1), startMember(t, 2)
	// b does not know a, so b never opens the stream a would write into: a has only its pipeline.
	require.NoError(t, a.tr.AddPeer(b.id, []string{b.url}))
	require.False(t, streamUp(a, b.id), "a's stream writer to b has no connection")

	msgs := []raftpb.Message{
		{Type: raftpb.MsgHeartbeat, From: 1, To: 2, Term: 7},
		{Type: raftpb.MsgSnap, From: 1, To: 2, Snapshot: &raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 9}}},
	}
	a.tr.Send(msgs)
	got := map[raftpb.MessageType]raftpb.Message{}
	for range msgs {
		m := b.raft.receive(t, "a's messages through the pipeline")
		got[m.Type] = m
	}
	require.Equal(t, uint64(7), got[raftpb.MsgHeartbeat].Term)
	require.Equal(t, uint64(9), got[raftpb.MsgSnap].Snapshot.Metadata.Index)
	require.Equal(t, int64(2), b.posts.Load(), "both messages should have come as pipeline POSTs to /raft")
	require.Eventually(t, func() bool { return len(a.raft.snapReports()) == 1 }, waitFor, tick, "a should report the MsgSnap's send")
	require.Equal(t, []raft.SnapshotStatus{raft.SnapshotFinish}, a.raft.snapReports(), "the pipeline delivered the MsgSnap")
}

// stuckPeer opens the stream to tr as member id would, and then never reads it.
func stuckPeer(t *testing.T, to *member, id uint64) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(to.url, "http://"))
	require.NoError(t, err)
	_, err = fmt.Fprintf(c, "GET %s/%x HTTP/1.1\r\nHost: x\r\nX-Server-From: %x\r\nX-Etcd-Cluster-ID: %x\r\nX-Raft-To: %x\r\n\r\n",
		RaftStreamPrefix+"/message", id, id, uint64(testClusterID), to.id)
	require.NoError(t, err)
	return c
}

func TestSlowPeerDoesNotBlockSend(t *testing.T) {
	a := startMember(t, 1)
	// Member 2's peer URL is a closed port: a's reader fails; only the stuck stream matters.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	require.NoError(t, a.tr.AddPeer(2, []string{dead}))
	c := stuckPeer(t, a, 2)
	defer c.Close()
	require.Eventually(t, func() bool { return streamUp(a, 2) }, waitFor, tick, "the stuck peer's stream should attach")

	data := make([]byte, 1024)
	var msgs []raftpb.Message
	for i := range 4 * streamBufSize {
		msgs = append(msgs, raftpb.Message{Type: raftpb.MsgApp, From: 1, To: 2, Index: uint64(i), Entries: []raftpb.Entry{{Data: data}}})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// 16 MB for a peer that reads nothing: the socket fills, then the queue, then Send drops.
		a.tr.Send(msgs)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		require.FailNow(t, "Send blocked on a peer that does not read", "Send of %d messages had not returned after 30s", len(msgs))
	}
	require.Positive(t, a.raft.unreachableCount(2), "the dropped messages should be reported as member 2 unreachable")
	// Stop must not wait for the blocked write either; the cleanup's Stop would hang if it did.
}

func TestPeerRestartReconnects(t *testing.T) {
	a, b := startMember(t, 1), startMember(t, 2)
	connect(t, a, b)
	waitStreams(t, a, b)
	before := a.tr.ActiveSince(b.id)

	addr := strings.TrimPrefix(b.url, "http://")
	b.stop()
	require.Eventually(t, func() bool { return a.tr.ActiveSince(b.id).IsZero() }, waitFor, tick,
		"with member 2 gone, a's ActiveSince(2) should fall to zero once its dials fail")

	b2 := startMember(t, 2, onAddr(addr))
	require.NoError(t, b2.tr.AddPeer(a.id, []string{a.url}))
	require.Eventually(t, func() bool { return !a.tr.ActiveSince(b.id).IsZero() }, waitFor, tick,
		"a should redial the restarted member 2 and bring the link up")
	require.True(t, a.tr.ActiveSince(b.id).After(before), "the link came up again, later than the first time")
	waitStreams(t, a, b2)

	a.tr.Send([]raftpb.Message{{Type: raftpb.MsgHeartbeat, From: 1, To: 2, Term: 5}})
	require.Equal(t, uint64(5), b2.raft.receive(t, "a's heartbeat to the restarted member").Term)
}

func TestClusterIDMismatchRefused(t *testing.T) {
	a, b := startMember(t, 1), startMember(t, 2, withClusterID(testClusterID+1))
	connect(t, a, b)

	pa := a.tr.Get(b.id).(*peer)
	_, err := pa.reader.dial()
	require.ErrorIs(t, err, ErrClusterIDMismatch, "a's stream dial to a member of another cluster")
	require.ErrorIs(t, pa.pipeline.post([]byte{}), ErrClusterIDMismatch, "a's pipeline post to a member of another cluster")

	for _, tt := range []struct{ method, path string }{
		{http.MethodPost, RaftPrefix},
		{http.MethodGet, RaftStreamPrefix + "/message/1"},
		{http.MethodPost, RaftSnapshotPrefix},
	} {
		req, err := http.NewRequest(tt.method, b.url+tt.path, strings.NewReader(""))
		require.NoError(t, err)
		setHeaders(req, a.tr)
		req.Header.Set("X-Raft-To", idString(b.id))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusPreconditionFailed, resp.StatusCode, "%s %s with another cluster's ID", tt.method, tt.path)
		require.Equal(t, ErrClusterIDMismatch.Error(), strings.TrimSpace(string(body)), "%s %s", tt.method, tt.path)
		require.Equal(t, idString(testClusterID+1), resp.Header.Get("X-Etcd-Cluster-ID"), "the answer names the receiver's cluster")
	}
	http.DefaultClient.CloseIdleConnections()
	require.Empty(t, b.raft.recvc, "nothing from another cluster reaches raft")
}

func TestHandlerRefusals(t *testing.T) {
	notJoined := &Transport{ClusterID: testClusterID}
	a := startMember(t, 1)
	hdr := http.Header{"X-Etcd-Cluster-Id": {idString(testClusterID)}, "X-Server-From": {"2"}, "X-Raft-To": {"1"}}
	tests := []struct {
		name         string
		h            http.Handler
		method, path string
		header       http.Header
		want         int
	}{
		{"before Join", notJoined.Handler(), http.MethodPost, RaftPrefix, hdr, http.StatusServiceUnavailable},
		{"pipeline GET", a.tr.Handler(), http.MethodGet, RaftPrefix, hdr, http.StatusMethodNotAllowed},
		{"stream POST", a.tr.Handler(), http.MethodPost, RaftStreamPrefix + "/message/2", hdr, http.StatusMethodNotAllowed},
		{"stream from an unknown member", a.tr.Handler(), http.MethodGet, RaftStreamPrefix + "/message/2", hdr, http.StatusNotFound},
		{"stream of an unknown type", a.tr.Handler(), http.MethodGet, RaftStreamPrefix + "/msgapp/2", hdr, http.StatusNotFound},
		{"stream with no cluster ID", a.tr.Handler(), http.MethodGet, RaftStreamPrefix + "/message/2", http.Header{}, http.StatusPreconditionFailed},
		{"pipeline garbage", a.tr.Handler(), http.MethodPost, RaftPrefix, hdr, http.StatusBadRequest},
		{"snapshot with no saver", a.tr.Handler(), http.MethodPost, RaftSnapshotPrefix, hdr, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader("\xff\xff"))
			req.Header = tt.header.Clone()
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, "answer to %s %s: %s", tt.method, tt.path, rec.Body.String())
		})
	}

	// A stream request addressed to another member is refused even from a known peer.
	require.NoError(t, a.tr.AddPeer(2, []string{"http://127.0.0.1:1"}))
	req := httptest.NewRequest(http.MethodGet, RaftStreamPrefix+"/message/2", nil)
	req.Header = hdr.Clone()
	req.Header.Set("X-Raft-To", "3")
	rec := httptest.NewRecorder()
	a.tr.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusPreconditionFailed, rec.Code, "a stream for member 3 sent to member 1")
}

func TestStopLeavesNoGoroutines(t *testing.T) {
	ms := []*member{startMember(t, 1), startMember(t, 2), startMember(t, 3)}
	connect(t, ms...)
	waitStreams(t, ms...)
	ms[0].tr.Send([]raftpb.Message{{Type: raftpb.MsgHeartbeat, From: 1, To: 2}})
	ms[1].raft.receive(t, "a heartbeat before the stop")
	for _, m := range ms {
		m.stop()
	}
	goleak.VerifyNone(t, goleak.IgnoreCurrent())

	ms[0].tr.Stop() // again: a no-op
	ms[0].tr.Send([]raftpb.Message{{Type: raftpb.MsgHeartbeat, From: 1, To: 2}})
	require.Error(t, ms[0].tr.AddPeer(4, []string{"http://127.0.0.1:1"}), "AddPeer after Stop")
	require.True(t, ms[0].tr.ActiveSince(2).IsZero(), "a stopped transport has no active peer")
}

func TestRemovePeer(t *testing.T) {
	a, b := startMember(t, 1), startMember(t, 2)
	connect(t, a, b)
	waitStreams(t, a, b)
	a.tr.RemovePeer(b.id)
	require.Nil(t, a.tr.Get(b.id))
	require.True(t, a.tr.ActiveSince(b.id).IsZero(), "a removed peer is not active")
	require.Equal(t, 0, a.tr.ActivePeers())
	require.Eventually(t, func() bool { return !streamUp(b, a.id) }, waitFor, tick,
		"b's stream writer loses the stream the removed peer's reader had opened")
}

func TestAddPeerRejectsBadURLs(t *testing.T) {
	tr := &Transport{}
	for _, us := range [][]string{nil, {"127.0.0.1:2380"}, {"unix:///tmp/x"}, {"http://"}, {"http://a b"}} {
		require.Error(t, tr.AddPeer(2, us), "peer URLs %q", us)
	}
}

// saver is the snapshot sink: it keeps the db it reads, and fails if told to.
type saver struct {
	mu    sync.Mutex
	db    []byte
	index uint64
	fail  error
}

func (s *saver) SaveDBFrom(r io.Reader, index uint64) (int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	s.db, s.index = b, index
	return int64(len(b)), nil
}

type closeTracker struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeTracker) Close() error { c.closed.Store(true); return nil }

func TestSnapshotWithDBArrivesWhole(t *testing.T) {
	tests := []struct {
		name     string
		saveErr  error
		wantSnap raft.SnapshotStatus
	}{
		{"saved", nil, raft.SnapshotFinish},
		{"save fails", errors.New("disk full"), raft.SnapshotFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &saver{fail: tt.saveErr}
			a, b := startMember(t, 1), startMember(t, 2, withSnapshotter(sink))
			connect(t, a, b)

			db := make([]byte, 3<<20+17)
			_, _ = rand.Read(db)
			body := &closeTracker{Reader: bytes.NewReader(db)}
			m := raftpb.Message{Type: raftpb.MsgSnap, From: 1, To: 2, Term: 4,
				Snapshot: &raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 42, Term: 4}, Data: []byte("membership")}}
			a.tr.SendSnapshot(SnapMessage{Message: m, ReadCloser: body})

			require.Eventually(t, func() bool { return len(a.raft.snapReports()) > 0 }, waitFor, tick, "the sender should report the snapshot's outcome")
			require.Equal(t, []raft.SnapshotStatus{tt.wantSnap}, a.raft.snapReports(), "outcome reported to the sender's raft")
			require.True(t, body.closed.Load(), "the transport closes the db reader once the send is over")
			if tt.saveErr != nil {
				// The receiver answered only after deciding not to hand the message to raft.
				require.Empty(t, b.raft.recvc, "a snapshot whose db was not saved must not reach raft")
				return
			}
			got := b.raft.receive(t, "the MsgSnap after its db")
			require.Equal(t, m, got, "the MsgSnap as sent")
			sink.mu.Lock()
			defer sink.mu.Unlock()
			require.Equal(t, uint64(42), sink.index, "the db is saved for the snapshot's index")
			require.True(t, bytes.Equal(db, sink.db), "the db should arrive whole: sent %d bytes, saved %d", len(db), len(sink.db))
		})
	}
}

func TestSendSnapshotToUnknownPeer(t *testing.T) {
	a := startMember(t, 1)
	body := &closeTracker{Reader: strings.NewReader("db")}
	a.tr.SendSnapshot(SnapMessage{Message: raftpb.Message{Type: raftpb.MsgSnap, From: 1, To: 9}, ReadCloser: body})
	require.True(t, body.closed.Load(), "the db reader is closed at once")
	require.Equal(t, []raft.SnapshotStatus{raft.SnapshotFailure}, a.raft.snapReports())
}
