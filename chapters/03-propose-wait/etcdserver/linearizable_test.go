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

// faultSchedule is the order in which TestClusterLinearizableWritesUnderFaults breaks and heals
// the network: one step per round of puts, the same in every run, so that every run (with or
// without -race, on a fast or a slow machine) sees leaders cut off mid-request.
var faultSchedule = []clustertest.Fault{
	clustertest.Healthy, clustertest.IsolateLeader, clustertest.Heal, clustertest.IsolateFollower,
	clustertest.IsolateLeader, clustertest.Heal, clustertest.IsolateLeader, clustertest.Heal,
}

// TestClusterLinearizableWritesUnderFaults records concurrent puts through every member while
// leaders are cut off and the network heals, on a fixed schedule, and has porcupine check that the
// history of answers is linearizable: every put's previous value is the value of the put just
// before it in some order consistent with real time.
//
// Each step of faultSchedule changes the network, then every client does a few puts, each through
// the next member in turn, and the step ends when all have answered: a put through a cut-off
// member times out (its outcome is unknown), the others wait for a new leader or go through.
func TestClusterLinearizableWritesUnderFaults(t *testing.T) {
	// Half a second is several election timeouts (10 ticks of 10 ms): enough for a put through a
	// follower to wait out a re-election, and short enough to keep the test quick.
	c := newTestCluster(t, 3, func(cfg *ServerConfig) { cfg.RequestTimeout = 500 * time.Millisecond })
	c.leader(t)

	const clients, putsPerStep = 4, 4
	var history lincheck.History
	clustertest.RunSchedule(c.net, c.members, faultSchedule, clients, putsPerStep, func(step, cl, n int, s *EtcdServer) {
		op := lincheck.Op{Put: true, PrevKV: true, Key: []string{"a", "b"}[(cl+n)%2], Value: fmt.Sprintf("s%d-c%d-%d", step, cl, n)}
		_, _ = history.Do(cl, op, func() (lincheck.Result, error) {
			resp, err := s.Put(context.Background(), &pb.PutRequest{Key: []byte(op.Key), Value: []byte(op.Value), PrevKv: true})
			if err != nil || resp.PrevKv == nil {
				return lincheck.Result{}, err
			}
			return lincheck.Result{Value: string(resp.PrevKv.Value)}, nil
		})
	}, func(step int) {
		if puts, failed, _, _ := history.Counts(); step == 0 && failed == puts {
			// Fail at once rather than wait out every step: nothing works even without faults.
			t.Fatalf("none of the %d puts on a healthy cluster succeeded: make TestClusterWritesThroughAnyMember pass first", puts)
		}
	})

	puts, failed, _, _ := history.Counts()
	t.Logf("%d puts over %d steps, %d without a known outcome", puts, len(faultSchedule), failed)
	require.Less(t, failed, puts, "some puts must have succeeded for the check to mean anything")
	require.Positive(t, failed, "the schedule cuts leaders off mid-request: some puts must have timed out, or the faults were not exercised")
	require.Equal(t, porcupine.Ok, history.Check(time.Minute), "the write history must be linearizable")
}
