//go:build workshop_06 || workshop_snapshottrigger

//etcdwalk:exercise name=SnapshotTrigger tag=workshop_snapshottrigger tests=^TestSnapshotTrigger

package etcdserver

import "etcdwalk/chapters/03-propose-wait/etcdserver"

// Workshop exercise "SnapshotTrigger": when a member snapshots, and how much of raft's log it
// keeps. Make `go test -tags workshop_snapshottrigger -run '^TestSnapshotTrigger' ./etcdserver/`
// pass. The reference answer is trigger.go; etcd's is server/etcdserver/server.go
// (shouldSnapshotToDisk, shouldSnapshotToMemory, snapshotIfNeededAndCompactRaftLog, snapshot
// and compactRaftLog).

// shouldSnapshotToDisk says whether the member has applied enough since its last snapshot on
// disk.
//
// TODO: more than count entries applied since ep.DiskSnapshotIndex. Exactly count is not yet, as
// in etcd.
func shouldSnapshotToDisk(ep *etcdserver.Progress, count uint64) bool {
	return false
}

// shouldSnapshotToMemory says whether the member has applied enough since its last snapshot of
// any kind.
//
// TODO: more than memorySnapshotCount entries applied since ep.MemorySnapshotIndex.
func shouldSnapshotToMemory(ep *etcdserver.Progress) bool {
	return false
}

// triggerSnapshot snapshots and compacts raft's log when either says so.
//
// TODO:
//  1. Nothing to do unless one of them says so. Which one decides where the snapshot goes?
//  2. log.Snapshot(ep.AppliedIndex, toDisk); on error, return it (the member stops). Then record
//     where the newest snapshots are: what do the next calls compare against? A snapshot to
//     disk is also the newest in memory.
//  3. log.Compact, keeping catchUp entries before the snapshot. A follower that is a few entries
//     behind should still be sent entries, not the whole db. What if fewer than catchUp entries
//     exist at all? (uint64 does not go below zero.)
//  4. Why must 2 come before 3?
//
// Until it is written the member never snapshots: everything else works, and raft's log grows.
func triggerSnapshot(log etcdserver.RaftLog, ep *etcdserver.Progress, count, catchUp uint64) error {
	return nil
}
