package etcdserver

import (
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"
	"etcdwalk/chapters/03-propose-wait/pkg/idutil"
	"etcdwalk/chapters/03-propose-wait/pkg/wait"
	"etcdwalk/chapters/03-propose-wait/transport"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Member is one member of the cluster as the others know it.
type Member struct {
	ID         uint64
	Name       string
	ClientURLs []string
}

// NewMember derives the member's ID from its name and client URLs (etcd derives it from the peer
// URLs and cluster token, membership.computeMemberID; chapter 03 has no peer URLs).
func NewMember(name string, clientURLs []string, token string) Member {
	h := sha1.New()
	for _, u := range clientURLs {
		io.WriteString(h, u)
	}
	io.WriteString(h, name+token)
	return Member{ID: binary.BigEndian.Uint64(h.Sum(nil)[:8]), Name: name, ClientURLs: clientURLs}
}

// ServerConfig configures one member.
type ServerConfig struct {
	Name    string
	DataDir string // this member's directory
	Members []Member
	// TickMs and ElectionTicks are etcd's --heartbeat-interval (ms) and election timeout in ticks
	// (etcd's --election-timeout is ElectionTicks*TickMs ms). Defaults: 100 and 10.
	TickMs        uint
	ElectionTicks int
	// RequestTimeout overrides etcd's ReqTimeout (5s + 2 election timeouts), for tests.
	RequestTimeout time.Duration

	config.Limits
}

// ReqTimeout is how long a proposal may wait for its result (etcd's ServerConfig.ReqTimeout).
func (c *ServerConfig) ReqTimeout() time.Duration {
	if c.RequestTimeout > 0 {
		return c.RequestTimeout
	}
	return 5*time.Second + 2*c.electionTimeout()
}

func (c *ServerConfig) electionTimeout() time.Duration {
	return time.Duration(c.ElectionTicks) * time.Duration(c.TickMs) * time.Millisecond
}

// maxGapBetweenApplyAndCommitIndex: beyond this many committed but unapplied entries, new
// proposals are refused (etcd's v3_server.go).
const maxGapBetweenApplyAndCommitIndex = 5000

var consistentIndexKeyName = []byte("consistent_index")

// EtcdServer is a member whose writes go through raft.
type EtcdServer struct {
	Cfg ServerConfig

	id        uint64
	clusterID uint64
	be        *backend.Backend
	kv        *mvcc.Store
	r         *raftNode
	w         wait.Wait
	reqIDGen  *idutil.Generator

	appliedIndex   atomic.Uint64
	committedIndex atomic.Uint64
	// consistIndex is the index of the last entry applied to the store; saved with every bbolt
	// commit, so that the store knows which entries it holds (etcd's cindex package).
	consistIndex atomic.Uint64

	leadTimeMu      sync.RWMutex
	leadElectedTime time.Time

	// readNotify, if set, is called by Range before a linearizable read: the seam chapter 04
	// fills with ReadIndex. Chapter 03 reads the local store as it is.
	readNotify func(ctx context.Context) error

	started  atomic.Bool
	stopping chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// ErrDataDirInUse: chapter 03 cannot restart a member from its data (see NewServer).
var ErrDataDirInUse = errors.New("etcdserver: the data dir holds applied entries, but raft's log is in memory and gone: " +
	"a chapter 03 member cannot restart from it (chapter 06 adds the WAL); remove the directory to start afresh")

// NewServer creates the member and joins it to net. It does not start it; Start does.
//
// The store must agree with raft on what has been applied. Raft's log lives in memory in this
// chapter, so after a restart raft would start again at index 1 while the store already holds
// entries up to its consistent index: every new entry up to that index would be skipped as "applied
// already". NewServer refuses such a data directory rather than lose writes.
func NewServer(cfg ServerConfig, net *transport.Network) (*EtcdServer, error) {
	if cfg.TickMs == 0 {
		cfg.TickMs = 100
	}
	if cfg.ElectionTicks == 0 {
		cfg.ElectionTicks = 10
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	var self *Member
	ids := make([]uint64, 0, len(cfg.Members))
	for i := range cfg.Members {
		ids = append(ids, cfg.Members[i].ID)
		if cfg.Members[i].Name == cfg.Name {
			self = &cfg.Members[i]
		}
	}
	if self == nil {
		return nil, fmt.Errorf("etcdserver: member %q is not in the cluster's member list", cfg.Name)
	}

	path := filepath.Join(cfg.DataDir, "member", "snap", "db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	be, err := backend.Open(path)
	if err != nil {
		return nil, err
	}
	var ci uint64
	_ = be.View(func(tx *backend.ReadTx) error {
		if v := tx.Get(backend.Meta, consistentIndexKeyName); len(v) == 8 {
			ci = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if ci > 0 {
		be.Close()
		return nil, fmt.Errorf("%w (%s, consistent index %d)", ErrDataDirInUse, cfg.DataDir, ci)
	}
	kv, err := mvcc.New(be)
	if err != nil {
		be.Close()
		return nil, err
	}
	kv.DeferSync(true) // the apply loop waits once per batch (Sync) before answering anyone

	s := &EtcdServer{
		Cfg: cfg, id: self.ID, clusterID: clusterID(ids), be: be, kv: kv,
		w:        wait.New(),
		reqIDGen: idutil.NewGenerator(uint16(self.ID), time.Now()),
		stopping: make(chan struct{}), done: make(chan struct{}),
	}
	// Every bbolt commit records how far the store got in the raft log, in the same transaction
	// as the changes (etcd saves the consistent index the same way, in a backend hook).
	be.AddHooks(backend.Hooks{PreCommit: func() {
		b := make([]byte, 8)
		binary.BigEndian.PutUint64(b, s.consistIndex.Load())
		be.UnsafePut(backend.Meta, consistentIndexKeyName, b)
	}})

	storage := raft.NewMemoryStorage()
	peers := make([]raft.Peer, 0, len(ids))
	for _, id := range ids {
		peers = append(peers, raft.Peer{ID: id})
	}
	node := raft.StartNode(&raft.Config{
		ID:              self.ID,
		ElectionTick:    cfg.ElectionTicks,
		HeartbeatTick:   1,
		Storage:         storage,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 512,
		CheckQuorum:     true,
		PreVote:         true,
		Logger:          &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)},
	}, peers)
	s.r = newRaftNode(node, storage, net.Join(self.ID, s), time.Duration(cfg.TickMs)*time.Millisecond)
	return s, nil
}

func clusterID(ids []uint64) uint64 {
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.BigEndian.PutUint64(b[8*i:], id)
	}
	sum := sha1.Sum(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// Start runs raft and the apply loop.
func (s *EtcdServer) Start() {
	s.started.Store(true)
	s.r.start(readyHandler{
		// As in etcd, only the member that becomes leader notes when: a proposal of its that
		// times out soon after may have been lost with the previous leader.
		updateLeadership: func(newLeader bool) {
			if newLeader {
				s.leadTimeMu.Lock()
				s.leadElectedTime = time.Now()
				s.leadTimeMu.Unlock()
			}
		},
		updateCommittedIndex: func(ci uint64) {
			if ci > s.committedIndex.Load() {
				s.committedIndex.Store(ci)
			}
		},
	})
	go s.run()
}

// Process hands a message from a peer to raft (etcd's EtcdServer.Process).
func (s *EtcdServer) Process(ctx context.Context, m raftpb.Message) error {
	return s.r.Step(ctx, m)
}

// Stop stops raft and the apply loop; requests still waiting get ErrStopped.
func (s *EtcdServer) Stop() error {
	var err error
	s.stopOnce.Do(func() {
		close(s.stopping)
		if s.started.Load() {
			s.r.stop()
			<-s.done
		} else {
			s.r.Stop()
			close(s.done)
		}
		s.kv.Close()
		err = s.be.Close()
	})
	return err
}

// StopNotify is closed once the member has stopped serving.
func (s *EtcdServer) StopNotify() <-chan struct{} { return s.done }

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

// RaftNode exposes raft for the layers above (chapter 04 calls ReadIndex on it), and ReadStates
// the channel its answers arrive on.
func (s *EtcdServer) RaftNode() raft.Node               { return s.r.Node }
func (s *EtcdServer) ReadStates() <-chan raft.ReadState { return s.r.readStateC }
func (s *EtcdServer) Stopping() <-chan struct{}         { return s.stopping }

// SetReadNotify installs the barrier Range waits on before a linearizable read (chapter 04).
func (s *EtcdServer) SetReadNotify(f func(ctx context.Context) error) { s.readNotify = f }

func (s *EtcdServer) Backend() *backend.Backend { return s.be }
func (s *EtcdServer) Limits() config.Limits     { return s.Cfg.Limits }

// Members lists the members sorted by ID, as etcd's RaftCluster.Members does.
func (s *EtcdServer) Members() []*pb.Member {
	out := make([]*pb.Member, 0, len(s.Cfg.Members))
	for _, m := range s.Cfg.Members {
		out = append(out, &pb.Member{ID: m.ID, Name: m.Name, ClientURLs: m.ClientURLs})
	}
	slices.SortFunc(out, func(a, b *pb.Member) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (s *EtcdServer) Status() *pb.StatusResponse {
	return &pb.StatusResponse{
		Leader: s.Lead(), RaftIndex: s.CommittedIndex(), RaftTerm: s.Term(), RaftAppliedIndex: s.AppliedIndex(),
	}
}
