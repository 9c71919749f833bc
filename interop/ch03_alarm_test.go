package interop_test

import (
	"testing"

	"etcdwalk/interop/harness"
)

// TestChapter03FullStoreRecovery runs chapter 02's full-store sequence, without its restarts
// (chapter 03's raft log is in memory), against a three-member real etcd and a three-member
// chapter 03 cluster. Writes and alarm commands go through the first member; `endpoint health`,
// `endpoint status` and `defrag` ask all three. The alarm goes through raft: the member that
// refuses the write raises it and every member applies it, so every member reports it in
// `endpoint health` and `endpoint status`; `defrag` defragments each member in turn; one
// `alarm disarm` clears it on all.
func TestChapter03FullStoreRecovery(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcdCluster(t, ch03Members, alarmQuota)
	ours := startCh03(t, alarmQuota)
	runAlarmSteps(t, "chapter 03", etcd.Members, []*harness.Process{ours}, etcd.Endpoints, ours.Endpoints, fullStoreSteps(false))
}
