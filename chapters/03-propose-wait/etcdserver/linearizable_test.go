package etcdserver

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

type putInput struct{ key, value string }

// putOutput is what a put with prev_kv answered: the value it replaced. known is false when the
// put failed (timeout, leader lost): it may or may not have taken effect.
type putOutput struct {
	prev  string
	known bool
}

// registerModel is a key holding one value; a put replaces it and reports the old one.
var registerModel = porcupine.NondeterministicModel{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(putInput).key
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() []any { return []any{""} },
	Step: func(state, input, output any) []any {
		in, out := input.(putInput), output.(putOutput)
		if !out.known {
			return []any{state, in.value} // applied or lost, we cannot tell
		}
		if out.prev != state.(string) {
			return nil
		}
		return []any{in.value}
	},
	Equal: func(a, b any) bool { return a == b },
}

// faultSchedule is the order in which TestClusterLinearizableWritesUnderFaults breaks and heals
// the network: one step per round of puts, the same in every run, so that every run (with or
// without -race, on a fast or a slow machine) sees leaders cut off mid-request.
var faultSchedule = []struct {
	name  string
	fault func(c *testCluster)
}{
	{"healthy", func(c *testCluster) {}},
	{"leader isolated", func(c *testCluster) { c.net.Isolate(c.currentLeader().ID()) }},
	{"healed", func(c *testCluster) { c.net.Heal() }},
	{"a follower isolated", func(c *testCluster) { c.net.Isolate(c.followers(c.currentLeader())[0].ID()) }},
	{"leader isolated too", func(c *testCluster) { c.net.Isolate(c.currentLeader().ID()) }},
	{"healed", func(c *testCluster) { c.net.Heal() }},
	{"leader isolated", func(c *testCluster) { c.net.Isolate(c.currentLeader().ID()) }},
	{"healed", func(c *testCluster) { c.net.Heal() }},
}

// currentLeader is the member that believes it leads, or the first member if none does yet.
func (c *testCluster) currentLeader() *EtcdServer {
	for _, s := range c.members {
		if s.IsLeader() {
			return s
		}
	}
	return c.members[0]
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
	var history []porcupine.Operation
	var mu sync.Mutex
	for step, f := range faultSchedule {
		f.fault(c)
		var wg sync.WaitGroup
		for cl := range clients {
			wg.Go(func() {
				for n := range putsPerStep {
					in := putInput{key: []string{"a", "b"}[(cl+n)%2], value: fmt.Sprintf("s%d-c%d-%d", step, cl, n)}
					s := c.members[(cl+n+step)%len(c.members)]
					call := time.Now().UnixNano()
					resp, err := s.Put(context.Background(), &pb.PutRequest{Key: []byte(in.key), Value: []byte(in.value), PrevKv: true})
					ret := time.Now().UnixNano()
					out := putOutput{known: err == nil}
					if err != nil {
						ret = math.MaxInt64 // it may still take effect at any later time
					} else if resp.PrevKv != nil {
						out.prev = string(resp.PrevKv.Value)
					}
					mu.Lock()
					history = append(history, porcupine.Operation{ClientId: cl, Input: in, Call: call, Output: out, Return: ret})
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if step == 0 && unknown(history) == len(history) {
			// Fail at once rather than wait out every step: nothing works even without faults.
			t.Fatalf("none of the %d puts on a healthy cluster succeeded: make TestClusterWritesThroughAnyMember pass first", len(history))
		}
	}

	failed := unknown(history)
	t.Logf("%d puts over %d steps, %d without a known outcome", len(history), len(faultSchedule), failed)
	require.Less(t, failed, len(history), "some puts must have succeeded for the check to mean anything")
	require.Positive(t, failed, "the schedule cuts leaders off mid-request: some puts must have timed out, or the faults were not exercised")
	res := porcupine.CheckOperationsTimeout(registerModel.ToModel(), history, time.Minute)
	require.Equal(t, porcupine.Ok, res, "the write history must be linearizable")
}

func unknown(history []porcupine.Operation) int {
	n := 0
	for _, op := range history {
		if !op.Output.(putOutput).known {
			n++
		}
	}
	return n
}

func TestRegisterModelRejectsAStaleAnswer(t *testing.T) {
	// Put a=x finishes, then a later put reports a previous value that was never there.
	history := []porcupine.Operation{
		{ClientId: 0, Input: putInput{"a", "x"}, Call: 1, Output: putOutput{prev: "", known: true}, Return: 2},
		{ClientId: 1, Input: putInput{"a", "y"}, Call: 3, Output: putOutput{prev: "", known: true}, Return: 4},
	}
	require.Equal(t, porcupine.Illegal, porcupine.CheckOperationsTimeout(registerModel.ToModel(), history, time.Minute),
		"the second put started after the first finished, so it must have replaced x")
	history[1].Output = putOutput{known: false}
	history[1].Return = math.MaxInt64
	require.Equal(t, porcupine.Ok, porcupine.CheckOperationsTimeout(registerModel.ToModel(), history, time.Minute),
		"a failed put may or may not have happened")
}
