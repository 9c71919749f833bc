//go:build linux || darwin

package clientbench

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Where the platform gives the process's CPU time, every benchmark reports it per op.
func TestCPUMetric(t *testing.T) {
	_, ok := processCPU()
	require.True(t, ok, "getrusage should give this process's CPU time")
	for _, bm := range Benchmarks {
		res := runN(t, "100x", func(b *testing.B) { bm.F(b, newFake()) })
		_, ok := res.Extra["cpu-ns/op"]
		assert.True(t, ok, "%s should report cpu-ns/op, got %v", bm.Name, res.Extra)
	}
}
