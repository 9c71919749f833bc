package etcdserver

import (
	"context"
	"errors"
	"fmt"
	"io"

	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Snapshots is the seam through which a later chapter gives the member snapshots (chapter 06,
// with its snap files and its network transport). Chapter 03 keeps raft's whole log, in memory,
// and never snapshots: without Snapshots, none of this runs.
//
// The member calls it at three points, each where etcd's EtcdServer does the same work:
//   - after each batch is applied, durable in the backend and in raft's log, TriggerSnapshot may
//     snapshot and compact raft's log (etcd's triggerSnapshot);
//   - when raft wants to send a snapshot to a follower, SendSnapshot carries it with the backend's
//     db (etcd's createMergedSnapshotMessage and Transporter.SendSnapshot);
//   - when raft hands the member a snapshot it received, DBFilePath says where its db was saved,
//     and the member's backend goes on from that file (etcd's applySnapshot).
type Snapshots interface {
	TriggerSnapshot(log RaftLog, ep *Progress) error
	// SendSnapshot sends m, a MsgSnap, and after it db, the backend's db as of m's snapshot. It
	// must close db, whatever becomes of the send, and report the outcome to raft (the transport
	// does, through EtcdServer.ReportSnapshot).
	SendSnapshot(m raftpb.Message, db io.ReadCloser)
	DBFilePath(index uint64) (string, error)
}

// Progress is how far the apply loop has got (etcd's etcdProgress): the last entry applied, and
// the indexes of the newest snapshots, the one saved to disk and the one raft's log holds in
// memory (every disk snapshot is also a memory one). The trigger moves them when it takes one.
type Progress struct {
	AppliedIndex        uint64
	DiskSnapshotIndex   uint64
	MemorySnapshotIndex uint64
}

// RaftLog is what the snapshot trigger works with. It is valid only during the TriggerSnapshot
// call it is passed to, on the apply loop's goroutine.
type RaftLog interface {
	// Snapshot makes raft's snapshot at index, which must not be beyond the applied index, with
	// the member's configuration, in raft's log in memory: from then on raft may compact the log
	// up to it. With toDisk it first commits the backend, and then saves the snapshot durably
	// (Storage.SaveSnap: the snap file, then the WAL's marker) and releases what it makes
	// unnecessary (etcd's EtcdServer.snapshot). A snapshot at or below the newest one is no-op.
	Snapshot(index uint64, toDisk bool) error
	// Compact drops the entries up to index from raft's log in memory (etcd's compactRaftLog):
	// raft can no longer send them, and a follower that needs one is sent a snapshot instead.
	// Compacting what is compacted already is no error.
	Compact(index uint64) error
}

// WithSnapshots gives the member snapshots, through sn.
func WithSnapshots(sn Snapshots) ServerOption {
	return func(o *serverOptions) { o.snapshots = sn }
}

// raftLog is the RaftLog of the member s.
type raftLog struct{ s *EtcdServer }

func (l raftLog) Snapshot(index uint64, toDisk bool) error {
	s := l.s
	if index > s.appliedIndex.Load() {
		return fmt.Errorf("etcdserver: snapshot at %d beyond the applied index %d", index, s.appliedIndex.Load())
	}
	// After a restart from this snapshot raft replays only the entries after it, so the backend
	// must hold everything up to it on disk first. A snapshot in memory only needs no commit: a
	// restart goes back to the newest one on disk, and replays the WAL from there.
	if toDisk {
		if err := s.be.ForceCommit(); err != nil {
			return fmt.Errorf("etcdserver: commit the backend before a snapshot: %w", err)
		}
	}
	snap, err := s.r.raftStorage.CreateSnapshot(index, &s.confState, nil)
	if errors.Is(err, raft.ErrSnapOutOfDate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("etcdserver: create snapshot at %d: %w", index, err)
	}
	if !toDisk {
		return nil
	}
	if err := s.r.storage.SaveSnap(snap); err != nil {
		return fmt.Errorf("etcdserver: save snapshot at %d: %w", index, err)
	}
	if err := s.r.storage.Release(snap); err != nil {
		return fmt.Errorf("etcdserver: release storage up to %d: %w", index, err)
	}
	s.lg.Info("saved snapshot", "member", s.Cfg.Name, "snapshot-index", snap.Metadata.Index)
	return nil
}

func (l raftLog) Compact(index uint64) error {
	err := l.s.r.raftStorage.Compact(index)
	if errors.Is(err, raft.ErrCompacted) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("etcdserver: compact raft log to %d: %w", index, err)
	}
	l.s.lg.Debug("compacted raft logs", "member", l.s.Cfg.Name, "compact-index", index)
	return nil
}

// triggerSnapshot runs after each applied batch, once raft has the batch's entries in its log
// (CreateSnapshot needs them there).
func (s *EtcdServer) triggerSnapshot() error {
	if s.snapshots == nil {
		return nil
	}
	s.progress.AppliedIndex = s.appliedIndex.Load()
	return s.snapshots.TriggerSnapshot(raftLog{s}, &s.progress)
}

// sendSnapshot sends the snapshot raft asked to send in m, as of what the member has applied
// now, with the backend's db as of the same moment (etcd's createMergedSnapshotMessage). It runs
// on the apply loop's goroutine, between batches, so the db holds exactly the entries up to the
// applied index: usually later than the snapshot raft made, which is fine, since raft takes any
// committed index.
func (s *EtcdServer) sendSnapshot(m raftpb.Message) {
	db, err := s.be.Snapshot()
	if err != nil {
		s.lg.Error("cannot snapshot the backend for a follower", "member", s.Cfg.Name, "to", m.To, "error", err)
		s.r.ReportSnapshot(m.To, raft.SnapshotFailure)
		return
	}
	m.Snapshot = &raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{
		Index: s.appliedIndex.Load(), Term: s.appliedTerm, ConfState: s.confState,
	}}
	pr, pw := io.Pipe()
	// Closing the reader (the transport does, when it is done or gives up; the member does, when
	// it stops) ends the copy.
	stop := context.AfterFunc(s.ctx, func() { pr.CloseWithError(etcderr.ErrStopped) })
	s.goAttach(func() {
		defer stop()
		_, err := db.WriteTo(pw)
		pw.CloseWithError(err)
		_ = db.Close()
	})
	s.snapshots.SendSnapshot(m, pr)
}

// applySnapshot makes the member go on from a snapshot raft received (etcd's applySnapshot): its
// backend is replaced by the snapshot's db, which the transport saved before raft saw the
// message, and the store, alarms and indexes are reloaded from it.
func (s *EtcdServer) applySnapshot(ap toApply) error {
	snap := ap.snapshot
	if s.snapshots == nil {
		return fmt.Errorf("etcdserver: received a snapshot at %d, but the member has no snapshots", snap.Metadata.Index)
	}
	if snap.Metadata.Index <= s.appliedIndex.Load() {
		return fmt.Errorf("etcdserver: snapshot at %d is not beyond the applied index %d", snap.Metadata.Index, s.appliedIndex.Load())
	}
	// raft must have the snapshot on disk before the backend moves past the log: a crash between
	// the two would restart with a backend whose consistent index is beyond the WAL's last entry.
	if !s.waitPersisted(ap) {
		return errRaftEnded
	}
	path, err := s.snapshots.DBFilePath(snap.Metadata.Index)
	if err != nil {
		return fmt.Errorf("etcdserver: the db of snapshot %d: %w", snap.Metadata.Index, err)
	}
	if err := s.kv.Restore(path); err != nil {
		return fmt.Errorf("etcdserver: restore the store from %s: %w", path, err)
	}
	if err := s.alarms.Restore(); err != nil {
		return fmt.Errorf("etcdserver: restore alarms: %w", err)
	}
	if err := s.attrs.load(s.be); err != nil {
		return fmt.Errorf("etcdserver: restore the members' attributes: %w", err)
	}
	ci, err := readConsistentIndex(s.be)
	if err != nil {
		return err
	}
	s.consistIndex.Store(ci)
	s.confState = snap.Metadata.ConfState
	s.appliedTerm = snap.Metadata.Term
	s.appliedIndex.Store(snap.Metadata.Index)
	s.progress.DiskSnapshotIndex, s.progress.MemorySnapshotIndex = snap.Metadata.Index, snap.Metadata.Index
	s.applyWait.Trigger(snap.Metadata.Index)
	s.lg.Info("applied snapshot", "member", s.Cfg.Name, "snapshot-index", snap.Metadata.Index, "consistent-index", ci)
	return nil
}

// errRaftEnded: the Ready loop stopped on a storage failure while the apply loop waited for it.
var errRaftEnded = errors.New("etcdserver: raft's Ready loop has ended")

// waitPersisted waits until the Ready loop has saved ap (and appended its entries to raft's
// log); false if the loop ended first.
func (s *EtcdServer) waitPersisted(ap toApply) bool {
	select {
	case <-ap.notifyc:
		return true
	case <-s.r.done:
		return false
	}
}
