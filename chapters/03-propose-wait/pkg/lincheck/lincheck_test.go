package lincheck

import (
	"errors"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// at records op with fixed call and return times, as History.Do would have.
func at(h *History, client int, call, ret int64, op Op, res Result) {
	if op.Put && !res.Known {
		ret = 1 << 62
	}
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: op, Call: call, Output: res, Return: ret})
}

func TestModel(t *testing.T) {
	putA := func(v string) Op { return Op{Put: true, Key: "a", Value: v} }
	getA := Op{Key: "a"}
	tests := []struct {
		name string
		ops  func(h *History)
		want porcupine.CheckResult
	}{
		{"a get after a put sees it", func(h *History) {
			at(h, 0, 1, 2, putA("x"), Result{Known: true})
			at(h, 1, 3, 4, getA, Result{Known: true, Value: "x"})
		}, porcupine.Ok},
		{"a stale get after a put", func(h *History) {
			at(h, 0, 1, 2, putA("x"), Result{Known: true})
			at(h, 1, 3, 4, getA, Result{Known: true, Value: ""})
		}, porcupine.Illegal},
		{"a get concurrent with the put may see either", func(h *History) {
			at(h, 0, 1, 4, putA("x"), Result{Known: true})
			at(h, 1, 2, 3, getA, Result{Known: true, Value: ""})
		}, porcupine.Ok},
		{"a failed put may show up later", func(h *History) {
			at(h, 0, 1, 2, putA("x"), Result{})
			at(h, 1, 3, 4, getA, Result{Known: true, Value: ""})
			at(h, 1, 5, 6, getA, Result{Known: true, Value: "x"})
		}, porcupine.Ok},
		{"but not vanish once seen", func(h *History) {
			at(h, 0, 1, 2, putA("x"), Result{})
			at(h, 1, 3, 4, getA, Result{Known: true, Value: "x"})
			at(h, 1, 5, 6, getA, Result{Known: true, Value: ""})
		}, porcupine.Illegal},
		{"prev_kv must name the value replaced", func(h *History) {
			at(h, 0, 1, 2, putA("x"), Result{Known: true})
			at(h, 1, 3, 4, Op{Put: true, Key: "a", Value: "y", PrevKV: true}, Result{Known: true, Value: ""})
		}, porcupine.Illegal},
		{"keys are independent", func(h *History) {
			at(h, 0, 1, 2, putA("x"), Result{Known: true})
			at(h, 1, 3, 4, Op{Key: "b"}, Result{Known: true, Value: ""})
		}, porcupine.Ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h History
			tt.ops(&h)
			require.Equal(t, tt.want, h.Check(time.Minute))
		})
	}
}

func TestDoRecordsAFailedPutAsNeverReturning(t *testing.T) {
	var h History
	_, err := h.Do(0, Op{Put: true, Key: "a", Value: "x"}, func() (Result, error) { return Result{}, errors.New("timed out") })
	require.Error(t, err)
	_, err = h.Do(1, Op{Key: "a"}, func() (Result, error) { return Result{Value: "x"}, nil })
	require.NoError(t, err)
	puts, failedPuts, gets, failedGets := h.Counts()
	require.Equal(t, []int{1, 1, 1, 0}, []int{puts, failedPuts, gets, failedGets})
	require.Equal(t, porcupine.Ok, h.Check(time.Minute), "the failed put may have taken effect before the get")
	require.Greater(t, h.Operations()[0].Return, h.Operations()[1].Return, "a failed put never returns")
}
