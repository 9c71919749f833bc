package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

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
			w, err := wal.Create(walDir, []byte(cfg.Name))
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
		w, _, hs, ents, err := wal.OpenAndRepair(walDir, wal.Snapshot{Index: saved.Snapshot.Metadata.Index, Term: saved.Snapshot.Metadata.Term})
		if err != nil {
			return nil, saved, err
		}
		saved.Exists, saved.HardState, saved.Entries = true, hs, ents
		lg.Info("restarting from the WAL", "wal-dir", walDir, "snapshot-index", saved.Snapshot.Metadata.Index,
			"term", hs.Term, "commit", hs.Commit, "entries", len(ents))
		return NewStorage(w, ss), saved, nil
	}
}
