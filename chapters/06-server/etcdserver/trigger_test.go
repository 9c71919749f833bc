package etcdserver

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"etcdwalk/chapters/03-propose-wait/etcdserver"

	"github.com/stretchr/testify/require"
)

// fakeLog records what the trigger asks of raft's log, in order.
type fakeLog struct {
	calls   []string
	snapErr error
}

func (l *fakeLog) Snapshot(index uint64, toDisk bool) error {
	where := "in memory"
	if toDisk {
		where = "to disk"
	}
	l.calls = append(l.calls, fmt.Sprintf("snapshot %d %s", index, where))
	return l.snapErr
}

func (l *fakeLog) Compact(index uint64) error {
	l.calls = append(l.calls, fmt.Sprintf("compact %d", index))
	return nil
}

func TestSnapshotTriggerWhenAndWhatToKeep(t *testing.T) {
	tests := []struct {
		name                 string
		count, catchUp       uint64
		applied, disk, mem   uint64
		want                 []string
		wantDisk, wantMemory uint64
		why                  string
	}{
		{"fewer than 100 applied", 1000, 30, 50, 0, 0, nil, 0, 0,
			"no snapshot until more than 100 entries are applied since the last one in memory"},
		{"exactly 100 applied", 1000, 30, 100, 0, 0, nil, 0, 0,
			"exactly 100 entries is not yet: etcd snapshots in memory once more than that are applied"},
		{"one more than 100", 1000, 30, 101, 0, 0, []string{"snapshot 101 in memory", "compact 71"}, 0, 101,
			"a snapshot in memory at the applied index, then raft's log compacted keeping --snapshot-catchup-entries entries before it"},
		{"counted from the last snapshot in memory", 1000, 30, 180, 0, 101, nil, 0, 101,
			"the count of 100 starts again at the last snapshot in memory, not at zero"},
		{"one more than count", 1000, 30, 1001, 0, 950, []string{"snapshot 1001 to disk", "compact 971"}, 1001, 1001,
			"more than --snapshot-count entries since the last snapshot on disk: this one goes to disk, however recent the last in memory"},
		{"the next snapshot to disk", 1000, 30, 1950, 1001, 1901, nil, 1001, 1901,
			"the count to disk starts again at the last snapshot on disk, not at zero"},
		{"the next snapshot in memory", 1000, 30, 1902, 1001, 1801, []string{"snapshot 1902 in memory", "compact 1872"}, 1001, 1902,
			"in memory only until --snapshot-count entries have passed since the last one on disk"},
		{"fewer entries than catch-up", 30, 40, 40, 0, 0, []string{"snapshot 40 to disk"}, 40, 40,
			"with no more than --snapshot-catchup-entries entries in the log there is nothing to compact (and the index must not wrap below zero)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log fakeLog
			ep := etcdserver.Progress{AppliedIndex: tt.applied, DiskSnapshotIndex: tt.disk, MemorySnapshotIndex: tt.mem}
			require.NoError(t, triggerSnapshot(&log, &ep, tt.count, tt.catchUp))
			require.Equal(t, tt.want, log.calls, tt.why)
			require.Equal(t, tt.wantDisk, ep.DiskSnapshotIndex,
				"after a snapshot to disk, Progress.DiskSnapshotIndex is its index; otherwise it does not move")
			require.Equal(t, tt.wantMemory, ep.MemorySnapshotIndex,
				"after any snapshot, Progress.MemorySnapshotIndex is its index; without one it does not move")
		})
	}
}

func TestSnapshotTriggerTakesOneSnapshotPerCount(t *testing.T) {
	// The apply loop calls the trigger after every batch: 1000 batches of one entry, count 300.
	var log fakeLog
	ep := etcdserver.Progress{}
	for i := uint64(1); i <= 1000; i++ {
		ep.AppliedIndex = i
		require.NoError(t, triggerSnapshot(&log, &ep, 300, 50))
	}
	var snaps []string
	for _, c := range log.calls {
		if strings.HasPrefix(c, "snapshot") {
			snaps = append(snaps, c)
		}
	}
	require.Len(t, snaps, 9, "one snapshot every 101 entries: "+
		"a trigger that forgets where the last snapshot was snapshots after every batch")
	require.Equal(t, []string{
		"snapshot 101 in memory", "snapshot 202 in memory", "snapshot 301 to disk",
		"snapshot 402 in memory", "snapshot 503 in memory", "snapshot 602 to disk",
		"snapshot 703 in memory", "snapshot 804 in memory", "snapshot 903 to disk",
	}, snaps, "to disk only once more than --snapshot-count entries passed since the last one on disk, in memory in between")
}

func TestSnapshotTriggerFailedSnapshotCompactsNothing(t *testing.T) {
	log := fakeLog{snapErr: errors.New("disk full")}
	ep := etcdserver.Progress{AppliedIndex: 500}
	err := triggerSnapshot(&log, &ep, 100, 50)
	require.ErrorIs(t, err, log.snapErr, "a failed snapshot is returned: the member stops")
	require.Equal(t, []string{"snapshot 500 to disk"}, log.calls,
		"raft's log must not be compacted when the snapshot was not saved: a crash would restart with neither")
	require.Zero(t, ep.DiskSnapshotIndex, "a snapshot that failed is not the newest snapshot")
	require.Zero(t, ep.MemorySnapshotIndex, "a snapshot that failed is not the newest snapshot")
}
