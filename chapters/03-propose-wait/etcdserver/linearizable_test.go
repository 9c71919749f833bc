package etcdserver

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
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

// TestClusterLinearizableWritesUnderFaults records concurrent puts through random members while
// leaders are cut off and the network heals, and has porcupine check that the history of answers
// is linearizable: every put's previous value is the value of the put just before it in some
// order consistent with real time.
func TestClusterLinearizableWritesUnderFaults(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *ServerConfig) { cfg.RequestTimeout = time.Second })
	c.leader(t)

	const clients, opsPerClient = 4, 120
	var mu sync.Mutex
	var history []porcupine.Operation
	stop := make(chan struct{})
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		rng := rand.New(rand.NewPCG(1, 2))
		for {
			select {
			case <-stop:
				c.net.Heal()
				return
			case <-time.After(150 * time.Millisecond):
			}
			switch rng.IntN(3) {
			case 0:
				for _, s := range c.members {
					if s.IsLeader() {
						c.net.Isolate(s.ID())
					}
				}
			case 1:
				c.net.Isolate(c.members[rng.IntN(len(c.members))].ID())
			default:
				c.net.Heal()
			}
		}
	}()

	var wg sync.WaitGroup
	for cl := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(cl), 7))
			for n := range opsPerClient {
				in := putInput{key: []string{"a", "b"}[rng.IntN(2)], value: fmt.Sprintf("c%d-%d", cl, n)}
				s := c.members[rng.IntN(len(c.members))]
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
	close(stop)
	<-chaosDone

	failed := 0
	for _, op := range history {
		if !op.Output.(putOutput).known {
			failed++
		}
	}
	t.Logf("%d puts, %d without a known outcome", len(history), failed)
	require.Less(t, failed, len(history), "some puts must have succeeded for the check to mean anything")
	res := porcupine.CheckOperationsTimeout(registerModel.ToModel(), history, time.Minute)
	require.Equal(t, porcupine.Ok, res, "the write history must be linearizable")
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
