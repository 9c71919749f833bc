package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/02-kvserver/storage/datadir"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/06-server/etcdserver/api/snap"
	"etcdwalk/chapters/06-server/storage/wal"

	"go.etcd.io/raft/v3/raftpb"
)

// storage is the WAL and the snapshotter as one etcdserver.Storage (etcd's storage struct).
type storage struct {
	w *wal.WAL
	s *snap.Snapshotter
}

// NewStorage joins an open WAL and the snapshotter of the same member.
func NewStorage(w *wal.WAL, s *snap.Snapshotter) etcdserver.Storage {
	return &storage{w: w, s: s}
}

// Save writes the hard state and entries to the WAL, which fsyncs before it returns when raft
// needs it (a new term or vote, or entries): raft may send them, and acknowledge writes, only
// once they are durable.
func (st *storage) Save(hs raftpb.HardState, ents []raftpb.Entry) error { return st.w.Save(hs, ents) }

// SaveSnap writes the snapshot file first and the WAL's marker second, as etcd does: a marker
// always names a snapshot that exists.
func (st *storage) SaveSnap(sn raftpb.Snapshot) error {
	if err := st.s.SaveSnap(sn); err != nil {
		return err
	}
	return st.w.SaveSnapshot(wal.Snapshot{Index: sn.Metadata.Index, Term: sn.Metadata.Term})
}

// Release lets the WAL drop the segments the snapshot makes unnecessary, and the snapshotter the
// older db files.
func (st *storage) Release(sn raftpb.Snapshot) error {
	if err := st.w.ReleaseLockTo(sn.Metadata.Index); err != nil {
		return err
	}
	return st.s.ReleaseSnapDBs(sn)
}

func (st *storage) Sync() error  { return st.w.Sync() }
func (st *storage) Close() error { return st.w.Close() }

// Opener opens a member's storage in its data directory (etcd's layout: member/wal and
// member/snap). A data directory without a WAL is a new member: the WAL is created and nothing is
// saved yet. Otherwise the member restarts from the newest snapshot and what the WAL holds after
// it; a torn tail (a crash in the middle of a write) is repaired once, a corrupt record anywhere
// else is an error naming its file and offset.
//
// walDir is etcd's --wal-dir; "" means the data directory's member/wal.
func Opener(lg *slog.Logger, walDir string) etcdserver.StorageOpener {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return func(cfg *etcdserver.ServerConfig) (etcdserver.Storage, etcdserver.SavedLog, error) {
		walDir, snapDir := walDir, datadir.ToSnapDir(cfg.DataDir)
		if walDir == "" {
			walDir = datadir.ToWALDir(cfg.DataDir)
		}
		if err := os.MkdirAll(snapDir, 0o700); err != nil {
			return nil, etcdserver.SavedLog{}, fmt.Errorf("storage: create snap dir: %w", err)
		}
		ss := snap.New(lg, snapDir)
		if !wal.Exist(walDir) {
			w, err := wal.Create(walDir, encodeMetadata(metadataOf(cfg)))
			if err != nil {
				return nil, etcdserver.SavedLog{}, err
			}
			return NewStorage(w, ss), etcdserver.SavedLog{}, nil
		}

		var saved etcdserver.SavedLog
		sn, err := ss.Load()
		switch {
		case errors.Is(err, snap.ErrNoSnapshot):
		case err != nil:
			return nil, saved, err
		default:
			saved.Snapshot = *sn
		}
		w, md, hs, ents, err := wal.OpenAndRepair(walDir, wal.Snapshot{Index: saved.Snapshot.Metadata.Index, Term: saved.Snapshot.Metadata.Term})
		if err != nil {
			return nil, saved, err
		}
		if err := checkMetadata(walDir, md, metadataOf(cfg)); err != nil {
			return nil, saved, errors.Join(err, w.Close())
		}
		saved.Exists, saved.HardState, saved.Entries = true, hs, ents
		lg.Info("restarting from the WAL", "wal-dir", walDir, "snapshot-index", saved.Snapshot.Metadata.Index,
			"term", hs.Term, "commit", hs.Commit, "entries", len(ents))
		return NewStorage(w, ss), saved, nil
	}
}

// metadata is what a WAL records of the member it belongs to, at the head of every segment
// (etcd's etcdserverpb.Metadata, NodeID and ClusterID, here with the name too).
type metadata struct {
	name                string
	memberID, clusterID uint64
}

// metadataOf is the member cfg describes: its name, and the IDs chapter 03 computes from the
// initial cluster (0 for a configuration without members, as in this package's tests).
func metadataOf(cfg *etcdserver.ServerConfig) metadata {
	md := metadata{name: cfg.Name}
	ids := make([]uint64, 0, len(cfg.Members))
	for _, m := range cfg.Members {
		ids = append(ids, m.ID)
		if m.Name == cfg.Name {
			md.memberID = m.ID
		}
	}
	if len(ids) > 0 {
		md.clusterID = membership.ComputeClusterID(ids)
	}
	return md
}

// encodeMetadata writes the metadata as three lines of text, readable in a dump of a segment.
func encodeMetadata(md metadata) []byte {
	return fmt.Appendf(nil, "%s\n%016x\n%016x", md.name, md.memberID, md.clusterID)
}

// checkMetadata refuses a WAL that belongs to another member or another cluster than the
// configuration's. etcd itself takes the IDs from the WAL on a restart and ignores the --initial-*
// flags; etcdwalk refuses instead, since a data dir started under the wrong --name or
// --initial-cluster is a mistake more often than not, and going on would make this process
// another member than its flags say.
func checkMetadata(walDir string, raw []byte, want metadata) error {
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 3 {
		return fmt.Errorf("storage: the WAL in %s has metadata etcdwalk cannot read (%q)", walDir, raw)
	}
	got := metadata{name: parts[0]}
	_, err1 := fmt.Sscanf(parts[1], "%x", &got.memberID)
	_, err2 := fmt.Sscanf(parts[2], "%x", &got.clusterID)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("storage: the WAL in %s has metadata etcdwalk cannot read (%q)", walDir, raw)
	}
	switch {
	case got.name != want.name || got.memberID != want.memberID:
		return fmt.Errorf("storage: the data dir's WAL (%s) belongs to member %q (%x), not to %q (%x): "+
			"give each member its own --data-dir", walDir, got.name, got.memberID, want.name, want.memberID)
	case got.clusterID != want.clusterID:
		return fmt.Errorf("storage: the data dir's WAL (%s) belongs to cluster %x, but --initial-cluster and "+
			"--initial-cluster-token make cluster %x: restart with the flags the member was started with, "+
			"or remove the data dir to start a new member", walDir, got.clusterID, want.clusterID)
	}
	return nil
}
