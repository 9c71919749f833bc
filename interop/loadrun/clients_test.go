package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchOutput is what a test binary of the client benchmarks prints with -test.benchmem (the
// sub-benchmarks' names padded to different widths, as go test pads them).
const benchOutput = `goos: linux
goarch: amd64
pkg: etcdwalk/chapters/05-client/client/v3
cpu: Intel(R) Xeon(R) Processor
BenchmarkClient/Put-2         	     300	   3006668 ns/op	   1000033 cpu-ns/op	   61037 B/op	     503 allocs/op
BenchmarkClient/GetParallel-2             	     300	     61868 ns/op	        50.00 clients	     59250 cpu-ns/op	   15266 B/op	     203 allocs/op
PASS
`

func TestParseBench(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want []benchResult
	}{
		{"client benchmarks", benchOutput, []benchResult{
			{name: "BenchmarkClient/Put", procs: 2, n: 300, metrics: map[string]float64{
				"ns/op": 3006668, "cpu-ns/op": 1000033, "B/op": 61037, "allocs/op": 503}},
			{name: "BenchmarkClient/GetParallel", procs: 2, n: 300, metrics: map[string]float64{
				"ns/op": 61868, "clients": 50, "cpu-ns/op": 59250, "B/op": 15266, "allocs/op": 203}},
		}},
		{"GOMAXPROCS 1: no suffix", "BenchmarkX 1000 12.5 ns/op\nPASS\n", []benchResult{
			{name: "BenchmarkX", procs: 1, n: 1000, metrics: map[string]float64{"ns/op": 12.5}}}},
		{"a name with a dash of its own", "BenchmarkX/get-s-16 10 7 ns/op\n", []benchResult{
			{name: "BenchmarkX/get-s", procs: 16, n: 10, metrics: map[string]float64{"ns/op": 7}}}},
		{"log lines and a benchmark's name alone on its line are skipped",
			"BenchmarkClient\n    bench_test.go:12: Benchmarks are fun\nBenchmarkX-2 5 100 ns/op 3 allocs/op\nok  \tpkg\t1.2s\n",
			[]benchResult{{name: "BenchmarkX", procs: 2, n: 5, metrics: map[string]float64{"ns/op": 100, "allocs/op": 3}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBench(tt.out)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "each result line: name without -GOMAXPROCS, GOMAXPROCS, iterations, and every value by its unit")
		})
	}
}

func TestParseBenchErrors(t *testing.T) {
	tests := []struct {
		name, out, wantErr string
	}{
		{"a failed benchmark", "--- FAIL: BenchmarkClient\n    bench_test.go:23: ETCDWALK_BENCH_ENDPOINTS is not set\nFAIL\n", "--- FAIL: BenchmarkClient"},
		{"a failed sub-benchmark next to passed ones", strings.Replace(benchOutput, "PASS", "--- FAIL: BenchmarkClient/Get\n    put 3 of 300: etcdserver: request timed out\n--- FAIL: BenchmarkClient", 1), "--- FAIL: BenchmarkClient/Get"},
		{"no result at all", "goos: linux\nPASS\n", "no benchmark result"},
		{"no ns/op", "BenchmarkX-2 5 3 allocs/op\n", "no ns/op"},
		{"a value that is no number", "BenchmarkX-2 5 fast ns/op\n", `cannot read "fast"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBench(tt.out)
			require.Error(t, err, "this output must not pass for a measurement")
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestThroughputVerdict(t *testing.T) {
	for _, tt := range []struct {
		ratio float64
		want  string
	}{{0.89, "no: slower"}, {0.9, "yes"}, {1, "yes"}, {1.1, "yes"}, {1.11, "no: faster"}} {
		assert.Equal(t, tt.want, throughputVerdict(tt.ratio), "throughput ratio %.2f against the goal 0.9–1.1×", tt.ratio)
	}
	assert.Equal(t, "yes", allocVerdict(30, 30), "as many allocations as clientv3 meets the goal")
	assert.Equal(t, "no: more", allocVerdict(31, 30), "one allocation more than clientv3 misses it")
}

func sampleOf(round int, client, name string, metrics map[string]float64) benchSample {
	return benchSample{round: round, client: client, benchResult: benchResult{name: name, procs: 2, n: 100, metrics: metrics}}
}

// The summary takes each client's median over rounds and divides clientv3's ns/op by ours.
func TestClientRows(t *testing.T) {
	const put, par = "BenchmarkClient/Put", "BenchmarkClient/PutParallel"
	var samples []benchSample
	for round, ns := range []float64{1000, 3000, 2000} {
		samples = append(samples,
			sampleOf(round+1, "ours", put, map[string]float64{"ns/op": ns, "allocs/op": 40, "B/op": 4000, "cpu-ns/op": ns / 10}),
			sampleOf(round+1, "clientv3", put, map[string]float64{"ns/op": 2 * ns, "allocs/op": 50, "B/op": 5000, "cpu-ns/op": ns / 5}),
			sampleOf(round+1, "ours", par, map[string]float64{"ns/op": 100, "clients": 50, "allocs/op": 60, "B/op": 1}),
			sampleOf(round+1, "clientv3", par, map[string]float64{"ns/op": 85, "clients": 50, "allocs/op": 55, "B/op": 1}),
		)
	}
	names, err := benchNames(samples)
	require.NoError(t, err)
	require.Equal(t, []string{put, par}, names, "the benchmarks in the order ours ran them")

	rows := clientRows(names, samples)
	require.Len(t, rows, 2)
	p := rows[0]
	assert.Equal(t, 2000.0, p.oursNs, "median of ours' 1000, 3000, 2000 ns/op")
	assert.Equal(t, 4000.0, p.theirsNs, "median of clientv3's 2000, 6000, 4000 ns/op")
	assert.Equal(t, 2.0, p.throughput, "clientv3 ns/op ÷ ours: ours is twice as fast")
	assert.Equal(t, "no: faster", p.throughputOK)
	assert.Equal(t, "yes", p.allocsOK, "40 allocs/op against clientv3's 50")
	assert.True(t, p.haveCPU)
	assert.Equal(t, 200.0, p.oursCPU)
	assert.Equal(t, 1.0, p.clients, "a sequential benchmark reports no clients: one goroutine")

	q := rows[1]
	assert.InDelta(t, 0.85, q.throughput, 1e-9)
	assert.Equal(t, "no: slower", q.throughputOK)
	assert.Equal(t, "no: more", q.allocsOK, "60 allocs/op against clientv3's 55")
	assert.False(t, q.haveCPU, "no cpu-ns/op reported: no CPU columns")
	assert.Equal(t, 50.0, q.clients)

	var out bytes.Buffer
	printClientReport(&out, config{benchCount: 3, benchTime: "2s"}, "/nonexistent/etcd", "go.etcd.io/etcd/client/v3 v3.6.16",
		[]benchClient{{name: "ours", pkg: oursBenchPkg, bin: "/nonexistent/ours.test"}, {name: "clientv3", pkg: etcdBenchPkg, bin: "/nonexistent/etcd.test"}},
		"commit abc", names, samples, time.Minute, 0.01, 0.02)
	assert.Contains(t, out.String(), "| Put | 1 | 4.0 | 2.0 | **2.00** | no: faster | 50 | 40 | yes | 5000 | 4000 | 0.4 | 0.2 | 0.50 |",
		"the Put line of the summary, in µs")
	assert.Contains(t, out.String(), "| PutParallel | 50 | 0.1 | 0.1 | **0.85** | no: slower | 55 | 60 | no: more | 1 | 1 | – | – | – |")
	assert.Contains(t, out.String(), "ETCDWALK_BENCH_ENDPOINTS=URL,URL,URL ours.test -test.run XXX -test.bench . -test.benchmem -test.count 1 -test.benchtime 2s")
}

func TestBenchNamesDiffer(t *testing.T) {
	samples := []benchSample{
		sampleOf(1, "ours", "BenchmarkClient/Put", map[string]float64{"ns/op": 1}),
		sampleOf(1, "clientv3", "BenchmarkClient/Get", map[string]float64{"ns/op": 1}),
	}
	_, err := benchNames(samples)
	assert.Error(t, err, "clients that ran different benchmarks cannot be compared line by line")
}
