package etcdserver

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/pkg/idutil"
	"etcdwalk/chapters/03-propose-wait/transport"

	"go.etcd.io/raft/v3"
)

// readIndexRetryTime is how long the read loop waits for the answer to a ReadIndex before it asks
// again (etcd's readIndexRetryTime): raft drops a ReadIndex it cannot serve, such as one sent
// while no leader is known, without telling anyone.
const readIndexRetryTime = 500 * time.Millisecond

// readRaft is what the read loop uses of chapter 03's member: its ReadIndex seam, its applied
// index, and its signals. The member is the only implementation; the read loop's tests script one.
type readRaft interface {
	ReadIndex(ctx context.Context, rctx []byte) error
	ReadStates() <-chan raft.ReadState
	AppliedIndex() uint64
	ApplyWait(index uint64) <-chan struct{}
	LeaderChangedNotify() <-chan struct{}
	FirstCommitInTermNotify() <-chan struct{}
	StopNotify() <-chan struct{}
}

// EtcdServer is chapter 03's member with linearizable reads: every Range and read-only Txn that is
// not serializable waits until this member has applied everything the leader had committed when
// the read arrived, as confirmed by a quorum (ReadIndex). Writes and serializable reads are
// chapter 03's, unchanged.
type EtcdServer struct {
	*etcdserver.EtcdServer

	r          readRaft // the member above, as the read loop sees it
	lg         *slog.Logger
	reqTimeout time.Duration

	// readwaitc wakes the read loop: a read that finds it empty puts a token in, and the loop
	// starts a round (etcd's readwaitc; one slot, so that a burst of reads is one wake-up).
	readwaitc chan struct{}
	// readMu guards readNotifier, the round that reads arriving now will wait on. The loop
	// swaps in a fresh one as it starts a round, so that later reads wait for the next round.
	readMu       sync.RWMutex
	readNotifier *notifier
	// reqIDGen tags each round's ReadIndex, so that the loop can tell its answer from a late
	// answer to a round it gave up on.
	reqIDGen *idutil.Generator

	// rounds counts the ReadIndex rounds begun: with many reads in flight it grows far slower
	// than the number of reads.
	rounds atomic.Uint64

	started  atomic.Bool
	loopDone chan struct{}
}

// NewServer builds a chapter 03 member with this chapter's linearizableReadNotify as its read
// barrier (chapter 03's WithLinearizableReadNotify seam). opts are chapter 03's options.
func NewServer(cfg etcdserver.ServerConfig, net transport.Joiner, opts ...etcdserver.ServerOption) (*EtcdServer, error) {
	s := &EtcdServer{}
	opts = append(opts, etcdserver.WithLinearizableReadNotify(s.linearizableReadNotify))
	inner, err := etcdserver.NewServer(cfg, net, opts...)
	if err != nil {
		return nil, err
	}
	s.EtcdServer = inner
	s.init(inner, inner.Cfg.Logger, inner.Cfg.ReqTimeout(), inner.ID())
	return s, nil
}

func (s *EtcdServer) init(r readRaft, lg *slog.Logger, reqTimeout time.Duration, id uint64) {
	s.r, s.lg, s.reqTimeout = r, lg, reqTimeout
	s.readwaitc = make(chan struct{}, 1)
	s.readNotifier = newNotifier()
	s.reqIDGen = idutil.NewGenerator(uint16(id), time.Now())
	s.loopDone = make(chan struct{})
}

// Start starts the member, then its read loop (etcd starts linearizableReadLoop with GoAttach).
func (s *EtcdServer) Start() {
	s.EtcdServer.Start()
	s.startReadLoop()
}

func (s *EtcdServer) startReadLoop() {
	s.started.Store(true)
	go func() {
		defer close(s.loopDone)
		s.linearizableReadLoop()
	}()
}

// Stop stops the member, then waits for the read loop, which ends once the member has stopped.
// Reads still waiting get ErrStopped.
func (s *EtcdServer) Stop() error {
	err := s.EtcdServer.Stop()
	if s.started.Load() {
		<-s.loopDone
	}
	return err
}

// ReadIndexRounds is how many ReadIndex rounds this member has begun.
func (s *EtcdServer) ReadIndexRounds() uint64 { return s.rounds.Load() }
