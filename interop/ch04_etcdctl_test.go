package interop_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/require"
)

// ch04EtcdctlRounds is how many puts TestChapter04Etcdctl reads back: the writer takes turns over
// the members, so each member writes twice and reads the others' writes four times.
const ch04EtcdctlRounds = 6

// TestChapter04Etcdctl is chapter 04's acceptance with the real etcdctl: a put through one member
// is read back with `etcdctl get` through each of the other two at once, with no retry, and
// etcdctl prints the value just written (and, with -w json, the revisions real etcd prints). The
// writer takes turns over the members, and every round overwrites the same key, so a member that
// answered from a store behind the write would print the previous round's value. Chapter 03's
// acceptance test had to retry such reads (TestChapter03Etcdctl); here a default get is
// linearizable: the member waits for a ReadIndex round and for its store to reach the leader's
// commit index before it reads. (A new etcdctl process takes longer to start and connect than a
// follower takes to apply a write, so this test would rarely catch a member that reads without
// ReadIndex: it shows what a reader at the terminal sees. TestChapter04Differential, whose
// reads follow the write by one gRPC round trip, is the one that catches such a member.)
//
// After the linearizable get through a follower, `get --consistency=s` through the same follower
// prints the same: a serializable read is served from the local store without ReadIndex, and that
// store has, by then, applied the write (the linearizable read waited for it). Through a member
// that has not yet read a write, a serializable get may print the previous value; that is what
// serializable means, so the test does not ask for it.
//
// Every command is also run against a fresh single-member real etcd, which sees the same writes
// in the same order, and must print exactly the same.
func TestChapter04Etcdctl(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcd(t)
	ours := startCh04(t)
	roles := ch03Roles(t, ours)
	same := func(t *testing.T, m int, args ...string) string {
		t.Helper()
		return etcdctlSame(t, etcd.Endpoint, "chapter 04", ours.Endpoints[m], "", args...)
	}
	var followers []int
	for m, r := range roles {
		if strings.HasSuffix(r, "(follower)") {
			followers = append(followers, m)
		}
	}
	require.Len(t, followers, ch03Members-1, "the cluster should have one leader and two followers: %v", roles)

	for round := range ch04EtcdctlRounds {
		w := round % ch03Members
		value := fmt.Sprintf("v%d", round)
		readers := slices.DeleteFunc([]int{0, 1, 2}, func(m int) bool { return m == w })
		t.Run(fmt.Sprintf("round %d: put through member %d, get through members %d and %d", round+1, w+1, readers[0]+1, readers[1]+1), func(t *testing.T) {
			t.Logf("writer: %s", roles[w])
			require.Equal(t, "OK\n", same(t, w, "put", "foo", value), "etcdctl put foo %s against real etcd", value)
			for _, m := range readers {
				require.Equal(t, "foo\n"+value+"\n", same(t, m, "get", "foo"),
					"etcdctl get foo against real etcd should print the value just put")
				same(t, m, "get", "foo", "-w", "json")
			}
		})
	}

	t.Run("get --consistency=s through a follower", func(t *testing.T) {
		f := followers[0]
		t.Logf("through %s", roles[f])
		want := fmt.Sprintf("foo\nv%d\n", ch04EtcdctlRounds-1)
		// The linearizable get makes sure the follower has applied the latest put; from then on
		// its local store, which a serializable get reads, holds it too.
		require.Equal(t, want, same(t, f, "get", "foo"), "etcdctl get foo against real etcd")
		require.Equal(t, want, same(t, f, "get", "foo", "--consistency=s"), "etcdctl get foo --consistency=s against real etcd")
		same(t, f, "get", "", "--from-key", "--consistency=s", "-w", "json")
	})
}
