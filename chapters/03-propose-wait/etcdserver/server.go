package etcdserver

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3alarm"
	"etcdwalk/chapters/02-kvserver/etcdserver/apply"
	"etcdwalk/chapters/02-kvserver/storage"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"
	"etcdwalk/chapters/03-propose-wait/pkg/idutil"
	"etcdwalk/chapters/03-propose-wait/pkg/notify"
	"etcdwalk/chapters/03-propose-wait/pkg/wait"
	"etcdwalk/chapters/03-propose-wait/transport"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// maxGapBetweenApplyAndCommitIndex: beyond this many committed but unapplied entries, new
// proposals are refused (etcd's v3_server.go).
const maxGapBetweenApplyAndCommitIndex = 5000

// EtcdServer is a member whose writes go through raft.
type EtcdServer struct {
	Cfg ServerConfig
	lg  *slog.Logger

	id        uint64
	clusterID uint64
	be        *backend.Backend
	kv        *mvcc.Store
	r         *raftNode
	w         wait.Wait
	reqIDGen  *idutil.Generator

	// alarms and applier are chapter 02's: every member applies each committed entry through
	// the same applier chain, so that all of them refuse puts while NOSPACE is raised.
	alarms  *v3alarm.AlarmStore
	applier *apply.UberApplier
	// batch is what the entries of the batch being applied left to do after its Sync. applyMu
	// keeps batches one at a time, whoever applies them.
	applyMu sync.Mutex
	batch   batchEffects

	// appliedIndex is the last entry applied and visible to readers; applyWait is triggered
	// with it (etcd's applyWait). committedIndex is the last entry raft has committed.
	appliedIndex   atomic.Uint64
	committedIndex atomic.Uint64
	applyWait      wait.WaitTime
	// consistIndex is the index of the last entry applied to the store; saved with every bbolt
	// commit, so that the store knows which entries it holds (etcd's cindex package).
	consistIndex atomic.Uint64

	// snapshots, if set, takes, sends and receives snapshots (WithSnapshots). The apply loop alone
	// uses progress, confState (the configuration as of the applied index, which a snapshot
	// records) and appliedTerm (the term of the entry at the applied index).
	// attrs are the members' published names and client URLs (Publish).
	attrs memberAttrs

	snapshots   Snapshots
	progress    Progress
	confState   raftpb.ConfState
	appliedTerm uint64

	// leaderChanged is notified on every member when it learns of a new leader;
	// firstCommitInTerm when it applies the empty entry a new leader commits first.
	leaderChanged     *notify.Notifier
	firstCommitInTerm *notify.Notifier

	leadTimeMu      sync.RWMutex
	leadElectedTime time.Time

	// readNotify, if set, is waited for before every read that is not serializable: the seam
	// chapter 04 fills with ReadIndex. Without it, chapter 03 reads the local store as it is.
	readNotify func(ctx context.Context) error

	// ctx ends when the member stops; the work it starts in the background (raising an alarm)
	// runs under it and is waited for in wg (etcd's EtcdServer.ctx and GoAttach).
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	started  atomic.Bool
	stopping chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	// err is why the member stopped on its own (a storage failure), readable once done is closed.
	err      error
	closeErr error
}

// NewServer bootstraps the member from its data directory and raft storage, and joins it to net.
// It does not start it; Start does.
func NewServer(cfg ServerConfig, net transport.Joiner, opts ...ServerOption) (*EtcdServer, error) {
	cfg.setDefaults()
	o := serverOptions{storage: NewMemoryStorage}
	for _, opt := range opts {
		opt(&o)
	}
	b, err := bootstrap(&cfg, o)
	if err != nil {
		return nil, err
	}
	s := &EtcdServer{
		Cfg: cfg, lg: cfg.Logger, id: b.self.ID, clusterID: b.clusterID, be: b.be, kv: b.kv,
		alarms:            b.alarms,
		applier:           apply.NewUberApplier(b.kv, b.alarms, storage.NewBackendQuota(cfg.QuotaBackendBytes, b.be)),
		w:                 wait.New(),
		reqIDGen:          idutil.NewGenerator(uint16(b.self.ID), time.Now()),
		applyWait:         wait.NewTimeList(),
		leaderChanged:     notify.NewNotifier(),
		firstCommitInTerm: notify.NewNotifier(),
		readNotify:        o.readNotify,
		snapshots:         o.snapshots,
		confState:         b.snapshot.Metadata.ConfState,
		appliedTerm:       b.snapshot.Metadata.Term,
		progress:          Progress{AppliedIndex: b.snapshot.Metadata.Index, DiskSnapshotIndex: b.snapshot.Metadata.Index, MemorySnapshotIndex: b.snapshot.Metadata.Index},
		stopping:          make(chan struct{}),
		done:              make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.consistIndex.Store(b.ci)
	if err := s.attrs.load(b.be); err != nil {
		return nil, errors.Join(err, b.close())
	}
	// Raft restarts after its snapshot: what the snapshot holds is applied.
	s.appliedIndex.Store(b.snapshot.Metadata.Index)
	// The apply loop waits once per batch (Sync) before answering anyone.
	b.kv.DeferSync(true)
	// Every bbolt commit records how far the store got in the raft log, in the same transaction
	// as the changes (etcd saves the consistent index the same way, in a backend hook).
	b.be.AddHooks(backend.Hooks{PreCommit: func() {
		v := make([]byte, 8)
		binary.BigEndian.PutUint64(v, s.consistIndex.Load())
		b.be.UnsafePut(backend.Meta, consistentIndexKeyName, v)
	}})
	s.r = newRaftNode(raftNodeConfig{
		lg:          cfg.Logger,
		Node:        b.raft.newNode(),
		raftStorage: b.raft.raftStorage,
		storage:     b.storage,
		heartbeat:   time.Duration(cfg.TickMs) * time.Millisecond,
	})
	if s.snapshots != nil {
		s.r.msgSnapC = make(chan raftpb.Message, 1)
	}
	// Joined only once s.r exists: a transport may deliver a peer's message (Process) as soon as
	// the member has joined, before Start (chapter 06's HTTP transport does, to a restarted member).
	s.r.transport = net.Join(b.self.ID, s)
	return s, nil
}

// Start runs raft and the apply loop.
func (s *EtcdServer) Start() {
	s.started.Store(true)
	s.r.start(readyHandler{
		updateLeadership:     s.updateLeadership,
		updateCommittedIndex: s.updateCommittedIndex,
	})
	go s.run()
}

// updateLeadership runs on every member (etcd's raftReadyHandler.updateLeadership).
func (s *EtcdServer) updateLeadership(newLeader bool) {
	// Only the member that becomes leader notes when: a proposal of its that times out soon after
	// may have been lost with the previous leader (parseProposeCtxErr).
	if newLeader && s.IsLeader() {
		s.leadTimeMu.Lock()
		s.leadElectedTime = time.Now()
		s.leadTimeMu.Unlock()
	}
	if newLeader {
		s.leaderChanged.Notify()
	}
}

func (s *EtcdServer) updateCommittedIndex(ci uint64) {
	if ci > s.committedIndex.Load() {
		s.committedIndex.Store(ci)
	}
}

// Process hands a message from a peer to raft (etcd's EtcdServer.Process).
func (s *EtcdServer) Process(ctx context.Context, m raftpb.Message) error {
	return s.r.Step(ctx, m)
}

// ReportUnreachable and ReportSnapshot tell raft what the transport saw (etcd's
// EtcdServer.ReportUnreachable and ReportSnapshot): a peer it could not reach, and whether a
// snapshot reached its follower. A follower that is sent a snapshot waits in raft's snapshot state
// until the report.
func (s *EtcdServer) ReportUnreachable(id uint64) { s.r.ReportUnreachable(id) }
func (s *EtcdServer) ReportSnapshot(id uint64, status raft.SnapshotStatus) {
	s.r.ReportSnapshot(id, status)
}

// Stop stops raft and the apply loop; requests still waiting get ErrStopped.
func (s *EtcdServer) Stop() error {
	s.stopOnce.Do(func() {
		close(s.stopping)
		if !s.started.Load() {
			s.shutdown()
		}
	})
	<-s.done
	return s.closeErr
}

// shutdown releases everything the member holds, once, from the apply loop as it ends (or from
// Stop if it never started), and then closes done.
func (s *EtcdServer) shutdown() {
	s.cancel()
	s.r.stop()
	s.wg.Wait()
	s.kv.Close()
	s.closeErr = errors.Join(s.r.storage.Close(), s.be.Close())
	close(s.done)
}

// StopNotify is closed once the member has stopped serving, by Stop or on a storage failure.
func (s *EtcdServer) StopNotify() <-chan struct{} { return s.done }

// Err is why the member stopped on its own (its raft storage or its backend failed), once
// StopNotify is closed; nil while it runs and after Stop. etcd exits the process at that point
// (lg.Fatal); chapter 06's process exits with this error.
func (s *EtcdServer) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// LeaderChangedNotify returns a channel closed when this member next learns of a new leader
// (etcd's EtcdServer.LeaderChangedNotify).
func (s *EtcdServer) LeaderChangedNotify() <-chan struct{} { return s.leaderChanged.Receive() }

// FirstCommitInTermNotify returns a channel closed when this member next applies the first entry a
// new leader commits in its term (etcd's EtcdServer.FirstCommitInTermNotify). A leader serves
// ReadIndex only from then on.
func (s *EtcdServer) FirstCommitInTermNotify() <-chan struct{} {
	return s.firstCommitInTerm.Receive()
}

// ApplyWait returns a channel closed once every entry up to index is applied and visible to
// readers (etcd's applyWait.Wait): then Rev covers every write up to index.
func (s *EtcdServer) ApplyWait(index uint64) <-chan struct{} { return s.applyWait.Wait(index) }

// LinearizableReadNotify waits for the read barrier given with WithLinearizableReadNotify, if any
// (etcd's EtcdServer.LinearizableReadNotify): what a linearizable MemberList passes before it
// answers. Without a barrier it returns at once.
func (s *EtcdServer) LinearizableReadNotify(ctx context.Context) error {
	if s.readNotify == nil {
		return nil
	}
	return s.readNotify(ctx)
}

// ReadIndex asks raft for the index a linearizable read must wait for, tagged with rctx (raft's
// Node.ReadIndex). The answer comes later on ReadStates, with the same RequestCtx, once the leader
// has confirmed with a quorum that it still leads; a member that knows no leader drops the
// request, and the caller must ask again. Chapter 04's read loop is the caller.
func (s *EtcdServer) ReadIndex(ctx context.Context, rctx []byte) error {
	return s.r.ReadIndex(ctx, rctx)
}

// ReadStates yields the answers to ReadIndex (etcd's raftNode.readStateC): the newest of each
// raft Ready. Only one reader should take from it.
func (s *EtcdServer) ReadStates() <-chan raft.ReadState { return s.r.readStateC }

func (s *EtcdServer) ID() uint64             { return s.id }
func (s *EtcdServer) MemberID() uint64       { return s.id }
func (s *EtcdServer) ClusterID() uint64      { return s.clusterID }
func (s *EtcdServer) Term() uint64           { return s.r.term.Load() }
func (s *EtcdServer) Lead() uint64           { return s.r.lead.Load() }
func (s *EtcdServer) IsLeader() bool         { return s.Lead() == s.id }
func (s *EtcdServer) Rev() int64             { return s.kv.Rev() }
func (s *EtcdServer) KV() *mvcc.Store        { return s.kv }
func (s *EtcdServer) AppliedIndex() uint64   { return s.appliedIndex.Load() }
func (s *EtcdServer) CommittedIndex() uint64 { return s.committedIndex.Load() }

func (s *EtcdServer) Backend() *backend.Backend { return s.be }
func (s *EtcdServer) Limits() config.Limits     { return s.Cfg.Limits }

// Members lists the members sorted by ID, as etcd's RaftCluster.Members does.
func (s *EtcdServer) Members() []*pb.Member {
	ms := append([]membership.Member(nil), s.Cfg.Members...)
	membership.Sort(ms)
	out := make([]*pb.Member, 0, len(ms))
	for _, m := range ms {
		if a, ok := s.attrs.get(m.ID); ok {
			m.Name, m.ClientURLs = a.Name, a.ClientURLs
		}
		out = append(out, &pb.Member{ID: m.ID, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs})
	}
	return out
}

// Alarms are the alarms this member has applied, for Status (etcd's EtcdServer.Alarms). It reads
// the local store, as etcd does: no raft round trip.
func (s *EtcdServer) Alarms() []*pb.AlarmMember { return s.alarms.Get(pb.AlarmType_NONE) }

// Defragment defragments this member's backend only (etcd's EtcdServer.Defragment): the free
// pages of a bbolt file are the member's own business, not a raft entry. Its apply loop waits
// while the copy runs.
func (s *EtcdServer) Defragment() error { return s.be.Defrag() }

// goAttach runs f in the background until it returns; shutdown waits for it, after ending ctx
// (etcd's GoAttach).
func (s *EtcdServer) goAttach(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func (s *EtcdServer) Status() *pb.StatusResponse {
	return &pb.StatusResponse{
		Leader: s.Lead(), RaftIndex: s.CommittedIndex(), RaftTerm: s.Term(), RaftAppliedIndex: s.AppliedIndex(),
	}
}
