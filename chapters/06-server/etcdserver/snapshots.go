package etcdserver

import (
	"io"

	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/06-server/etcdserver/api/rafthttp"
	"etcdwalk/chapters/06-server/etcdserver/api/snap"

	"go.etcd.io/raft/v3/raftpb"
)

// Snapshots gives a chapter 03 member snapshots: the trigger, the transport that sends a
// snapshot with its db, and the snapshotter that received dbs are saved by. Pass it with
// etcdserver.WithSnapshots.
type Snapshots struct {
	Snapshotter *snap.Snapshotter
	Transport   *rafthttp.Transport
	// SnapshotCount and SnapshotCatchUpEntries are etcd's --snapshot-count and
	// --snapshot-catchup-entries (defaults 10000 and 5000; embed.Config fills them in).
	SnapshotCount          uint64
	SnapshotCatchUpEntries uint64
}

var _ etcdserver.Snapshots = (*Snapshots)(nil)

// memorySnapshotCount is how many entries etcd v3.6 applies between two snapshots in memory
// (etcd's memorySnapshotCount); the trigger takes one to disk every SnapshotCount.
const memorySnapshotCount = 100

func (sn *Snapshots) TriggerSnapshot(log etcdserver.RaftLog, ep *etcdserver.Progress) error {
	return triggerSnapshot(log, ep, sn.SnapshotCount, sn.SnapshotCatchUpEntries)
}

func (sn *Snapshots) SendSnapshot(m raftpb.Message, db io.ReadCloser) {
	sn.Transport.SendSnapshot(rafthttp.SnapMessage{Message: m, ReadCloser: db})
}

func (sn *Snapshots) DBFilePath(index uint64) (string, error) {
	return sn.Snapshotter.DBFilePath(index)
}
