package etcdserver

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/pkg/lincheck"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// readFaults is the order in which TestClusterLinearizableReadsUnderFaults breaks and heals the
// network, one step per round of operations, the same in every run. A cut-off follower is where
// a read that skips ReadIndex goes stale; a cut-off leader is where a round meets a leader change.
var readFaults = []clustertest.Fault{
	clustertest.Healthy, clustertest.IsolateFollower, clustertest.Heal, clustertest.IsolateLeader,
	clustertest.Heal, clustertest.IsolateFollower2, clustertest.IsolateLeader, clustertest.Heal,
}

// TestClusterLinearizableReadsUnderFaults records concurrent puts and linearizable gets through
// every member while followers and leaders are cut off and healed on a fixed schedule, and has
// porcupine check that the history is linearizable: every get returns the value of the latest put
// before it in some order consistent with real time. A get on a cut-off member must fail rather
// than answer what that member last heard.
func TestClusterLinearizableReadsUnderFaults(t *testing.T) {
	history := recordUnderFaults(t, false)
	puts, failedPuts, gets, failedGets := history.Counts()
	t.Logf("%d puts (%d failed) and %d gets (%d failed) over %d steps", puts, failedPuts, gets, failedGets, len(readFaults))
	require.Less(t, failedGets, gets, "some gets must have succeeded for the check to mean anything")
	require.Positive(t, failedGets, "gets on cut-off members must have failed, or the faults were not exercised")
	require.Equal(t, porcupine.Ok, history.Check(time.Minute),
		"the put/get history must be linearizable: a get answered a value that a put acknowledged before it had replaced")
}

// The same schedule with serializable gets, which skip ReadIndex: a cut-off follower answers what
// it last heard while the others acknowledge newer puts, and porcupine finds no order that
// explains it. This is what chapter 03 did for every read.
func TestClusterSerializableReadsAreNotLinearizable(t *testing.T) {
	history := recordUnderFaults(t, true)
	puts, failedPuts, gets, failedGets := history.Counts()
	t.Logf("%d puts (%d failed) and %d serializable gets (%d failed) over %d steps", puts, failedPuts, gets, failedGets, len(readFaults))
	require.Zero(t, failedGets, "a serializable get is served by the member alone: it never waits for a quorum")
	require.Equal(t, porcupine.Illegal, history.Check(time.Minute),
		"serializable gets on a cut-off follower should have answered stale values that no order explains")
}

// recordUnderFaults runs readFaults on a fresh cluster: at each step, six clients each do six
// operations, alternating puts and gets on two keys, each through the next member in turn.
func recordUnderFaults(t *testing.T, serializable bool) *lincheck.History {
	c := newTestCluster(t, 3, 500*time.Millisecond)
	c.leader(t)

	const clients, opsPerStep = 6, 6
	history := &lincheck.History{}
	clustertest.RunSchedule(c.net, c.members, readFaults, clients, opsPerStep, func(step, cl, n int, s *EtcdServer) {
		op := lincheck.Op{Put: (cl+n)%2 == 0, Key: []string{"a", "b"}[cl%2], Value: fmt.Sprintf("s%d-c%d-%d", step, cl, n)}
		_, _ = history.Do(cl, op, func() (lincheck.Result, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if op.Put {
				_, err := s.Put(ctx, &pb.PutRequest{Key: []byte(op.Key), Value: []byte(op.Value)})
				return lincheck.Result{}, err
			}
			v, err := get(ctx, s, op.Key, serializable)
			return lincheck.Result{Value: v}, err
		})
	}, func(step int) {
		if _, _, gets, failed := history.Counts(); step == 0 && failed == gets {
			// Fail at once rather than wait out every step: no read works even without faults.
			t.Fatalf("none of the %d gets on a healthy cluster succeeded: make TestReadLoop* and TestReadNotify* pass first", gets)
		}
	})
	return history
}
