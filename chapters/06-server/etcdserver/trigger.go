//go:build !workshop_06 && !workshop_snapshottrigger

package etcdserver

import (
	"fmt"

	"etcdwalk/chapters/03-propose-wait/etcdserver"
)

// shouldSnapshot: more than count entries applied since the last snapshot (etcd's
// EtcdServer.shouldSnapshot; strictly more, as etcd counts).
func shouldSnapshot(ep *etcdserver.Progress, count uint64) bool {
	return ep.AppliedIndex-ep.SnapshotIndex > count
}

// triggerSnapshot takes a snapshot at the applied index once shouldSnapshot says so, and then
// compacts raft's log in memory, keeping the catchUp entries before the snapshot (etcd's
// triggerSnapshot and compactRaftLog). Those kept entries are what lets a follower that is only a
// little behind catch up with appends, instead of being sent the whole db.
//
// The order is the point: the snapshot is saved (snap file, WAL marker) before anything is
// dropped from the log, so that a crash in between leaves a member that restarts from the
// snapshot or from the log, never from neither.
func triggerSnapshot(log etcdserver.RaftLog, ep *etcdserver.Progress, count, catchUp uint64) error {
	if !shouldSnapshot(ep, count) {
		return nil
	}
	if err := log.Snapshot(ep.AppliedIndex); err != nil {
		return fmt.Errorf("snapshot at %d: %w", ep.AppliedIndex, err)
	}
	ep.SnapshotIndex = ep.AppliedIndex
	if ep.SnapshotIndex <= catchUp {
		return nil // nothing before the entries to keep
	}
	return log.Compact(ep.SnapshotIndex - catchUp)
}
