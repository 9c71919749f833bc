package lincheck

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Op is a put or a get of one key.
type Op struct {
	Put   bool
	Key   string
	Value string // what a put writes
	// PrevKV says the put asked for the value it replaced (etcd's prev_kv), so its answer can be
	// checked too.
	PrevKV bool
}

// Result is what a client saw.
type Result struct {
	// Known is false when the request failed: a put that timed out may still take effect, at
	// any time later; a get that failed said nothing.
	Known bool
	// Value is what a get read, or the value a put with PrevKV replaced ("" if none).
	Value string
}

// Model is etcd's keys as independent registers: a put replaces a key's value, a get reads it.
var Model = porcupine.NondeterministicModel{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(Op).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() []any { return []any{""} },
	Step: func(state, input, output any) []any {
		in, out := input.(Op), output.(Result)
		switch {
		case !in.Put && !out.Known:
			return []any{state}
		case !in.Put:
			if out.Value != state {
				return nil
			}
			return []any{state}
		case !out.Known:
			return []any{state, in.Value} // applied or lost: we cannot tell
		case in.PrevKV && out.Value != state:
			return nil
		default:
			return []any{in.Value}
		}
	},
	Equal: func(a, b any) bool { return a == b },
	DescribeOperation: func(input, output any) string {
		in, out := input.(Op), output.(Result)
		switch {
		case in.Put && !out.Known:
			return fmt.Sprintf("put %s=%s (failed)", in.Key, in.Value)
		case in.Put:
			return fmt.Sprintf("put %s=%s", in.Key, in.Value)
		case !out.Known:
			return fmt.Sprintf("get %s (failed)", in.Key)
		default:
			return fmt.Sprintf("get %s -> %q", in.Key, out.Value)
		}
	},
}

// History collects operations from many clients at once.
type History struct {
	mu  sync.Mutex
	ops []porcupine.Operation
}

// Do runs one operation of client and records it with the times it was called and returned. A put
// that fails is recorded as never returning: it may still take effect later. A get that fails is
// recorded too, and changes nothing.
func (h *History) Do(client int, op Op, do func() (Result, error)) (Result, error) {
	call := time.Now().UnixNano()
	res, err := do()
	ret := time.Now().UnixNano()
	res.Known = err == nil
	if err != nil {
		res.Value = ""
		if op.Put {
			ret = math.MaxInt64
		}
	}
	h.mu.Lock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: op, Call: call, Output: res, Return: ret})
	h.mu.Unlock()
	return res, err
}

// Operations returns what was recorded so far.
func (h *History) Operations() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]porcupine.Operation(nil), h.ops...)
}

// Counts says how many puts and gets were recorded and how many of each failed.
func (h *History) Counts() (puts, failedPuts, gets, failedGets int) {
	for _, op := range h.Operations() {
		in, out := op.Input.(Op), op.Output.(Result)
		switch {
		case in.Put:
			puts++
			if !out.Known {
				failedPuts++
			}
		default:
			gets++
			if !out.Known {
				failedGets++
			}
		}
	}
	return
}

// Check asks porcupine whether the history is linearizable, for at most timeout: Ok, Illegal, or
// Unknown if it ran out of time.
func (h *History) Check(timeout time.Duration) porcupine.CheckResult {
	return porcupine.CheckOperationsTimeout(Model.ToModel(), h.Operations(), timeout)
}
