//go:build !workshop_06 && !workshop_snapshottrigger

package etcdserver

import (
	"fmt"

	"etcdwalk/chapters/03-propose-wait/etcdserver"
)

// shouldSnapshotToDisk: more than count entries applied since the last snapshot on disk (etcd's
// shouldSnapshotToDisk; strictly more, as etcd counts).
func shouldSnapshotToDisk(ep *etcdserver.Progress, count uint64) bool {
	return ep.AppliedIndex-ep.DiskSnapshotIndex > count
}

// shouldSnapshotToMemory: more than memorySnapshotCount entries applied since the last snapshot
// in memory (etcd's shouldSnapshotToMemory).
func shouldSnapshotToMemory(ep *etcdserver.Progress) bool {
	return ep.AppliedIndex > ep.MemorySnapshotIndex+memorySnapshotCount
}

// triggerSnapshot takes a snapshot at the applied index once either says so, to disk every count
// entries and in memory only in between, and then compacts raft's log in memory, keeping the
// catchUp entries before the snapshot (etcd's snapshotIfNeededAndCompactRaftLog, snapshot and
// compactRaftLog). The snapshots in memory are what keep raft's log short: it is compacted every
// 100 entries, not every count. The kept entries are what lets a follower that is only a little
// behind catch up with appends, instead of being sent the whole db.
//
// The order is the point: the snapshot is made (and, to disk, saved: snap file, WAL marker)
// before anything is dropped from the log, so that raft never lacks both the entries and a
// snapshot that covers them, and a crash leaves a member that restarts from the snapshot or from
// the log, never from neither.
func triggerSnapshot(log etcdserver.RaftLog, ep *etcdserver.Progress, count, catchUp uint64) error {
	toDisk := shouldSnapshotToDisk(ep, count)
	if !toDisk && !shouldSnapshotToMemory(ep) {
		return nil
	}
	if err := log.Snapshot(ep.AppliedIndex, toDisk); err != nil {
		return fmt.Errorf("snapshot at %d: %w", ep.AppliedIndex, err)
	}
	ep.MemorySnapshotIndex = ep.AppliedIndex
	if toDisk {
		ep.DiskSnapshotIndex = ep.AppliedIndex
	}
	if ep.AppliedIndex <= catchUp {
		return nil // nothing before the entries to keep
	}
	return log.Compact(ep.AppliedIndex - catchUp)
}
