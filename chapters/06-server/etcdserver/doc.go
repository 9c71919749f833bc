// Package etcdserver is what chapter 06 adds to chapter 03's EtcdServer: snapshots. It plugs into
// chapter 03's etcdserver.Snapshots seam, and leaves the member itself unchanged.
//
// Layer: the server (chapter 06). Corresponds to etcd v3.6 server/etcdserver/server.go:
//   - trigger.go: shouldSnapshotToDisk, shouldSnapshotToMemory and triggerSnapshot (etcd's
//     snapshotIfNeededAndCompactRaftLog, with compactRaftLog's arithmetic), the SnapshotTrigger
//     exercise. Every --snapshot-count applied entries (default 10000) the member saves a
//     snapshot to disk, and every 100 in between it takes one in raft's log in memory only, as
//     etcd v3.6 does. After each, raft's log in memory is compacted to keep
//     --snapshot-catchup-entries (5000) entries before it: that is what bounds a member's memory
//     under sustained writes.
//   - snapshots.go: Snapshots, which joins the trigger to the snapshotter (etcdserver/api/snap),
//     where a received db is found, and to rafthttp, which sends a MsgSnap with the leader's db
//     (etcd's Transporter.SendSnapshot).
//
// The work itself (committing the backend, raft's CreateSnapshot, saving the snap file and the
// WAL's marker, sending the db taken at the applied index, and replacing a follower's backend with
// a received one) is chapter 03's, behind the seam, on chapter 02's Backend.Snapshot and
// Store.Restore.
//
// Left out: etcd's forced snapshot before a membership change or a downgrade (neither exists
// here), the pause of compaction while a snapshot is being sent (etcd's inflightSnapshots: here a
// follower that takes longer to receive a db than the leader takes to apply 5000 more entries is
// sent another), the v2 store in a snapshot's Data (empty here, as it will be in etcd v3.7), and the purge
// loop of old snap and WAL files (Snapshotter.Purge exists; nothing calls it on a timer yet).
package etcdserver
