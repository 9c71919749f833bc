package etcdserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3alarm"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	"etcdwalk/chapters/02-kvserver/storage/datadir"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// ErrDataDirInUse: the backend holds applied entries but there is no raft log to go on from.
var ErrDataDirInUse = errors.New("etcdserver: the data dir holds applied entries, but raft's log is in memory and gone: " +
	"a chapter 03 member cannot restart from it (chapter 06 adds the WAL); remove the directory to start afresh")

var consistentIndexKeyName = []byte("consistent_index")

// bootstrappedServer is what a member is built from, read from its data directory and its raft
// storage before anything runs (etcd's bootstrappedServer, server/etcdserver/bootstrap.go).
type bootstrappedServer struct {
	self      membership.Member
	clusterID uint64
	be        *backend.Backend
	kv        *mvcc.Store
	alarms    *v3alarm.AlarmStore // the alarms the backend holds, raised before a restart
	ci        uint64              // the consistent index: the last entry the backend holds
	snapshot  raftpb.Snapshot     // the snapshot raft restarts from, if any
	storage   Storage
	raft      bootstrappedRaft
}

// bootstrappedRaft is raft's starting state: a new cluster of peers, or a restart from the log.
type bootstrappedRaft struct {
	config      *raft.Config
	raftStorage *raft.MemoryStorage
	peers       []raft.Peer // a new member: the initial cluster; a restarting one: none
}

// bootstrap decides from what is on disk whether the member starts anew or restarts (etcd's
// bootstrap): with no saved log it starts a new cluster, which needs an empty backend; with a log
// it restarts from it, and the apply loop skips the entries the backend already holds.
func bootstrap(cfg *ServerConfig, opts serverOptions) (b *bootstrappedServer, err error) {
	self, err := findSelf(cfg)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, 0, len(cfg.Members))
	for _, m := range cfg.Members {
		ids = append(ids, m.ID)
	}
	b = &bootstrappedServer{self: self, clusterID: membership.ComputeClusterID(ids)}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.close())
		}
	}()

	if err := b.bootstrapBackend(cfg.DataDir, opts.backend); err != nil {
		return b, err
	}
	storage, saved, err := opts.storage(cfg)
	if err != nil {
		return b, fmt.Errorf("etcdserver: open raft storage: %w", err)
	}
	b.storage = storage
	if !saved.Exists && b.ci > 0 {
		// Raft would start again at index 1 and every new entry up to ci would be skipped as
		// applied already: refuse rather than lose writes.
		return b, fmt.Errorf("%w (%s, consistent index %d)", ErrDataDirInUse, cfg.DataDir, b.ci)
	}
	b.snapshot = saved.Snapshot
	b.raft, err = bootstrapRaft(cfg, self.ID, ids, saved)
	return b, err
}

func findSelf(cfg *ServerConfig) (membership.Member, error) {
	for _, m := range cfg.Members {
		if m.Name == cfg.Name {
			return m, nil
		}
	}
	return membership.Member{}, fmt.Errorf("etcdserver: member %q is not in the cluster's member list", cfg.Name)
}

// bootstrapBackend opens the bbolt file where etcd keeps it and reads the consistent index, the
// store and the alarms.
func (b *bootstrappedServer) bootstrapBackend(dataDir string, bcfg backend.BackendConfig) error {
	path := datadir.ToBackendFileName(dataDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("etcdserver: create data dir: %w", err)
	}
	bcfg.Path = path
	be, err := backend.New(bcfg)
	if err != nil {
		return err
	}
	b.be = be
	if b.ci, err = readConsistentIndex(be); err != nil {
		return err
	}
	if b.kv, err = mvcc.New(be); err != nil {
		return err
	}
	b.alarms, err = v3alarm.NewAlarmStore(be)
	return err
}

// readConsistentIndex reads the index of the last entry the backend holds (etcd's
// cindex.ReadConsistentIndex); 0 for a new backend.
func readConsistentIndex(be *backend.Backend) (ci uint64, err error) {
	err = be.View(func(tx *backend.ReadTx) error {
		switch v := tx.Get(backend.Meta, consistentIndexKeyName); len(v) {
		case 0:
		case 8:
			ci = binary.BigEndian.Uint64(v)
		default:
			return fmt.Errorf("etcdserver: consistent index of %d bytes", len(v))
		}
		return nil
	})
	return ci, err
}

// bootstrapRaft loads raft's working log (raft.MemoryStorage) from what storage saved (etcd's
// bootstrapRaftFromCluster and bootstrapRaftFromWAL).
func bootstrapRaft(cfg *ServerConfig, id uint64, ids []uint64, saved SavedLog) (bootstrappedRaft, error) {
	ms := raft.NewMemoryStorage()
	br := bootstrappedRaft{raftStorage: ms}
	if saved.Exists {
		if !raft.IsEmptySnap(saved.Snapshot) {
			if err := ms.ApplySnapshot(saved.Snapshot); err != nil {
				return br, fmt.Errorf("etcdserver: load snapshot: %w", err)
			}
		}
		if err := ms.SetHardState(saved.HardState); err != nil {
			return br, fmt.Errorf("etcdserver: load hard state: %w", err)
		}
		if err := ms.Append(saved.Entries); err != nil {
			return br, fmt.Errorf("etcdserver: load entries: %w", err)
		}
	} else {
		for _, pid := range ids {
			br.peers = append(br.peers, raft.Peer{ID: pid})
		}
	}
	br.config = &raft.Config{
		ID:              id,
		ElectionTick:    cfg.ElectionTicks,
		HeartbeatTick:   1,
		Storage:         ms,
		Applied:         saved.Snapshot.Metadata.Index, // what the snapshot holds is applied
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 512,
		CheckQuorum:     true,
		PreVote:         true,
		Logger:          &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)},
	}
	return br, nil
}

// newNode starts raft: StartNode for a new member, RestartNode for one with a log.
func (br bootstrappedRaft) newNode() raft.Node {
	if br.peers != nil {
		return raft.StartNode(br.config, br.peers)
	}
	return raft.RestartNode(br.config)
}

func (b *bootstrappedServer) close() error {
	var errs []error
	if b.storage != nil {
		errs = append(errs, b.storage.Close())
	}
	if b.kv != nil {
		b.kv.Close()
	}
	if b.be != nil {
		errs = append(errs, b.be.Close())
	}
	return errors.Join(errs...)
}
