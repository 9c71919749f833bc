package interop_test

import (
	"fmt"
	"testing"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// ch04Server is chapter 04's server: chapter 03's in-process cluster with ReadIndex, one client URL
// per member, the same flags. Built with the race detector like the other chapters' servers.
const ch04Server = "etcdwalk/chapters/04-linearizable-read/cmd/server"

// startCh04 starts a chapter 04 cluster of ch03Members members, as `make run` does (one client URL
// per member, default raft timing and request timeout), with a fresh parent data directory and
// any further flags. It returns once every member knows the leader, at revision 1.
func startCh04(t *testing.T, args ...string) *harness.Process {
	t.Helper()
	bin := harness.Build(t, ch04Server, true)
	return harness.StartCluster(t, bin, ch03Members, append([]string{"--data-dir", t.TempDir()}, args...)...)
}

// The chapter 04 differential test: ch04DiffSeeds × ch04DiffOps requests of chapter 02's
// generator, on seeds of its own.
var ch04DiffSeeds = []uint64{401, 402, 403}

const ch04DiffOps = 1000

// TestChapter04Differential is chapter 03's differential test (the same generator, the same
// comparison with a fresh single-member real etcd) against a chapter 04 cluster, with the reads
// no longer tied to the member of the latest write: request i goes to member i mod 3, reads and
// writes alike, so a read right after a write always goes to a member that did not acknowledge
// it, and a third of the reads to the leader. Chapter 04 serves every read that is not
// serializable only after a ReadIndex round (the member waits until it has applied what the
// leader had committed), so its answer must be real etcd's on any member, with no waiting on the
// test's side.
//
// Serializable reads (a Range with serializable set, or a read-only txn whose every operation is
// such a Range, as etcd's IsTxnSerializable says) are still served from the local store at once,
// and may be stale on a member that has not applied the latest write yet: they go to the member
// that acknowledged it, as in chapter 03's test, which keeps the test deterministic.
//
// At the end a read of every key on each member equals real etcd's, at once.
func TestChapter04Differential(t *testing.T) {
	t.Parallel()
	for _, seed := range ch04DiffSeeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			d := newClusterDiff(t, "chapter 04", "TestChapter04Differential", seed, startCh04(t))
			runReadIndexDiff(t, d, ch04DiffOps)
		})
	}
}

// runReadIndexDiff runs ops requests of d's stream against a cluster of ours that serves
// linearizable reads after a ReadIndex round (chapter 04's server, and chapter 06's, which is
// it in one process per member), routed as TestChapter04Differential says, checks that the
// routes did what the test claims, and at the end that a read of every key on each member
// equals real etcd's at once.
func runReadIndexDiff(t *testing.T, d *clusterDiff, ops int) {
	t.Helper()
	var serializable int
	n := d.run(t, ops, func(s routeState) (int, string) {
		switch {
		case s.write:
			return s.op % len(d.members), "a request that may write: request i goes to member i mod 3"
		case serializableRead(s.req):
			serializable++
			why := "a serializable read, which may be stale elsewhere: sent to the member that acknowledged the latest write"
			if s.lastOp >= 0 {
				why += fmt.Sprintf(" (op %d)", s.lastOp)
			} else {
				why += " (none yet: every member is at revision 1)"
			}
			return s.last, why
		}
		why := "a linearizable read: request i goes to member i mod 3"
		if s.lastOp >= 0 {
			why += fmt.Sprintf("; the latest write was acknowledged by member %d (op %d)", s.last+1, s.lastOp)
		}
		return s.op % len(d.members), why
	})
	seed := d.seed
	t.Logf("seed %d: %d requests; %d of them may write (%d through a follower); %d are reads (per member: %v), %d of them serializable; %d reads went to a member other than the one that acknowledged the latest write; %d left out",
		seed, ops, n.writes, n.viaFollower, n.reads, n.readsOn, serializable, n.readsElsewhere, n.leftOut)
	require.Positive(t, n.viaFollower, "seed %d: no write went through a follower; the test does not test what it claims", seed)
	require.Positive(t, n.readsElsewhere, "seed %d: every read went to the member of the latest write; the test does not test what it claims", seed)
	for m, reads := range n.readsOn {
		require.Positive(t, reads, "seed %d: no read went to %s; the reads should rotate over every member", seed, d.roles[m])
	}

	d.requireEveryMemberReadsAll(t, 0)
}

// serializableRead reports whether req is a read that etcd serves from the member's local store
// without ReadIndex: a Range with serializable set, or a txn of Ranges only, every one of them
// serializable (etcd v3.6 server/etcdserver/txn's IsTxnSerializable, which also holds for a txn
// with no operations at all). req is one that mayWrite says does not write.
func serializableRead(req any) bool {
	switch r := req.(type) {
	case *pb.RangeRequest:
		return r.Serializable
	case *pb.TxnRequest:
		for _, op := range append(append([]*pb.RequestOp{}, r.Success...), r.Failure...) {
			if rr := op.GetRequestRange(); rr == nil || !rr.Serializable {
				return false
			}
		}
		return true
	}
	return false
}
