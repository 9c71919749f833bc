package etcdserver

import (
	"errors"
	"fmt"
	"testing"

	"etcdwalk/chapters/03-propose-wait/etcdserver"

	"github.com/stretchr/testify/require"
)

// fakeLog records what the trigger asks of raft's log, in order.
type fakeLog struct {
	calls   []string
	snapErr error
}

func (l *fakeLog) Snapshot(index uint64) error {
	l.calls = append(l.calls, fmt.Sprintf("snapshot %d", index))
	return l.snapErr
}

func (l *fakeLog) Compact(index uint64) error {
	l.calls = append(l.calls, fmt.Sprintf("compact %d", index))
	return nil
}

func TestSnapshotTriggerWhenAndWhatToKeep(t *testing.T) {
	tests := []struct {
		name              string
		count, catchUp    uint64
		applied, snapshot uint64
		want              []string
		wantSnapshotIndex uint64
		why               string
	}{
		{"fewer than count applied", 100, 30, 50, 0, nil, 0,
			"no snapshot until more than --snapshot-count entries are applied since the last one"},
		{"exactly count applied", 100, 30, 100, 0, nil, 0,
			"exactly --snapshot-count entries is not yet: etcd snapshots once more than that are applied"},
		{"one more than count", 100, 30, 101, 0, []string{"snapshot 101", "compact 71"}, 101,
			"a snapshot at the applied index, then raft's log compacted keeping --snapshot-catchup-entries entries before it"},
		{"counted from the last snapshot", 100, 30, 180, 101, nil, 101,
			"the count starts again at the last snapshot, not at zero"},
		{"the next snapshot", 100, 30, 250, 101, []string{"snapshot 250", "compact 220"}, 250,
			"the second snapshot keeps the catch-up entries before it too"},
		{"fewer entries than catch-up", 30, 40, 40, 0, []string{"snapshot 40"}, 40,
			"with no more than --snapshot-catchup-entries entries in the log there is nothing to compact (and the index must not wrap below zero)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log fakeLog
			ep := etcdserver.Progress{AppliedIndex: tt.applied, SnapshotIndex: tt.snapshot}
			require.NoError(t, triggerSnapshot(&log, &ep, tt.count, tt.catchUp))
			require.Equal(t, tt.want, log.calls, tt.why)
			require.Equal(t, tt.wantSnapshotIndex, ep.SnapshotIndex,
				"after a snapshot, Progress.SnapshotIndex is its index; without one it does not move")
		})
	}
}

func TestSnapshotTriggerTakesOneSnapshotPerCount(t *testing.T) {
	// The apply loop calls the trigger after every batch: 1000 batches of one entry, count 100.
	var log fakeLog
	ep := etcdserver.Progress{}
	for i := uint64(1); i <= 1000; i++ {
		ep.AppliedIndex = i
		require.NoError(t, triggerSnapshot(&log, &ep, 100, 50))
	}
	snaps := 0
	for _, c := range log.calls {
		if c[:8] == "snapshot" {
			snaps++
		}
	}
	require.Equal(t, 9, snaps, "one snapshot every 101 entries (at 101, 202, ..., 909): "+
		"a trigger that forgets where the last snapshot was snapshots after every batch")
}

func TestSnapshotTriggerFailedSnapshotCompactsNothing(t *testing.T) {
	log := fakeLog{snapErr: errors.New("disk full")}
	ep := etcdserver.Progress{AppliedIndex: 500}
	err := triggerSnapshot(&log, &ep, 100, 50)
	require.ErrorIs(t, err, log.snapErr, "a failed snapshot is returned: the member stops")
	require.Equal(t, []string{"snapshot 500"}, log.calls,
		"raft's log must not be compacted when the snapshot was not saved: a crash would restart with neither")
	require.Zero(t, ep.SnapshotIndex, "a snapshot that failed is not the newest snapshot")
}
