package main

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// report is what etcd's benchmark tool prints with --precise (pkg/report, v3.6).
const report = `
Summary:
  Total:	2.5 secs.
  Slowest:	0.031 secs.
  Fastest:	0.0004 secs.
  Average:	0.006 secs.
  Stddev:	0.002 secs.
  Requests/sec:	8000.5

Response time histogram:
  0.0004 [1]	|
  0.031 [3]	|

Latency distribution:
  10% in 0.002 secs.
  50% in 0.0055 secs.
  99% in 0.0125 secs.
  99.9% in 0.02 secs.
`

func TestParseReport(t *testing.T) {
	res, err := parseReport(report)
	require.NoError(t, err, "a complete report must parse")
	assert.Equal(t, result{total: 2500 * time.Millisecond, rps: 8000.5, p50: 5500 * time.Microsecond, p99: 12500 * time.Microsecond}, res,
		"Total, Requests/sec and the 50%% and 99%% lines should be read, not the 10%% or 99.9%% ones")
}

func TestParseReportErrors(t *testing.T) {
	_, err := parseReport(report + "\nError distribution:\n  [3]\tetcdserver: request timed out\n")
	require.Error(t, err, "a report with failed requests must be an error")
	assert.Contains(t, err.Error(), "[3]\tetcdserver: request timed out", "the error should quote the tool's error lines")

	_, err = parseReport("\nError distribution:\n  [50000]\tconnection refused\n")
	require.Error(t, err, "a report where every request failed has no summary and must be an error")
}

func TestParseReportIncomplete(t *testing.T) {
	_, err := parseReport("Summary:\n  Total:\t1 secs.\n")
	assert.Error(t, err, "a report without Requests/sec and latencies must be an error, not zeros")
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}), "odd count: the middle value")
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}), "even count: the mean of the two middle values")
	assert.Equal(t, 0.0, median(nil), "no samples: 0")
}

func TestCPUPerRequest(t *testing.T) {
	s := sample{requests: 1000, result: result{total: time.Second, serverCPU: 300 * time.Millisecond, toolCPU: 200 * time.Millisecond}}
	srv, tool := s.cpuPerRequest()
	assert.Equal(t, 300.0, srv, "300 ms of server CPU over 1000 requests is 300 µs each")
	assert.Equal(t, 200.0, tool, "200 ms of tool CPU over 1000 requests is 200 µs each")
	assert.InDelta(t, 0.5/float64(runtime.NumCPU()), s.cpusBusy(), 1e-9, "0.5 s of CPU in 1 s of wall time keeps half of one CPU busy")
}

// Every round runs the put load, then the two read loads of one key: linearizable, then
// serializable, each as etcd's benchmark tool spells it; with seqPut (chapter 06) a put load of
// one client on one connection comes first.
func TestLoads(t *testing.T) {
	putArgs := func(total string) []string {
		return []string{"put", "--total", total, "--key-size", "8", "--val-size", "256", "--sequential-keys", "--key-space-size", "100"}
	}
	type want struct {
		name           string
		conns, clients int
		args           []string
		total          int
		readsKey       bool
	}
	put := want{"put", 10, 50, putArgs("10"), 10, false}
	get := want{"get", 10, 50, []string{"range", "k", "--consistency", "l", "--total", "20"}, 20, true}
	getS := want{"get-s", 10, 50, []string{"range", "k", "--consistency", "s", "--total", "30"}, 30, true}
	tests := []struct {
		name   string
		seqPut bool
		want   []want
	}{
		{"chapters 02 to 04: put, get, get-s", false, []want{put, get, getS}},
		{"chapter 06: put-seq first", true, []want{{"put-seq", 1, 1, putArgs("40"), 40, false}, put, get, getS}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config{conns: 10, clients: 50, putTotal: 10, putSeqTotal: 40, getTotal: 20, getSTotal: 30, valSize: 256, keySize: 8, keySpace: 100, getKey: "k", seqPut: tt.seqPut}
			loads := cfg.loads()
			require.Len(t, loads, len(tt.want), "the loads of a round")
			for i, w := range tt.want {
				l := loads[i]
				assert.Equal(t, w.name, l.name, "load %d", i+1)
				assert.Equal(t, w.conns, l.conns, "load %s: the tool's --conns", w.name)
				assert.Equal(t, w.clients, l.clients, "load %s: the tool's --clients", w.name)
				assert.Equal(t, w.args, l.args, "load %s: the benchmark tool's arguments", w.name)
				assert.Equal(t, w.total, l.total, "load %s: the requests it sends", w.name)
				assert.Equal(t, w.readsKey, l.readsKey, "load %s: whether the key must be put before it", w.name)
			}
		})
	}
}

// The memory load writes every put to a key of its own: the key space is as large as the total.
func TestMemoryLoad(t *testing.T) {
	cfg := config{conns: 10, clients: 50, keySize: 8, valSize: 256, keySpace: 100, memTotal: 40000, memValSize: 4096}
	l := cfg.memoryLoad()
	assert.Equal(t, load{name: "memory", conns: 10, clients: 50, total: 40000, args: []string{"put", "--total", "40000",
		"--key-size", "8", "--val-size", "4096", "--sequential-keys", "--key-space-size", "40000"}}, l,
		"40000 puts of 4096 B over 40000 sequential keys, from the put load's 50 clients on 10 connections")
}

// -chapter 03 and 04 compare three members in one process with three etcd processes.
func TestChapters(t *testing.T) {
	for _, name := range []string{"03", "04"} {
		ch, ok := chapters[name]
		require.True(t, ok, "-chapter %s should be known", name)
		assert.Equal(t, 3, ch.members, "-chapter %s: three members on both sides", name)
		assert.True(t, ch.cluster, "-chapter %s: our members share one process", name)
	}
	assert.Equal(t, "etcdwalk/chapters/04-linearizable-read/cmd/server", chapters["04"].pkg)
	assert.Equal(t, chapter{pkg: "etcdwalk/chapters/02-kvserver/cmd/server", members: 1}, chapters["02"])
}

// -chapter 06 compares three etcdwalk processes, started with etcd's flags, with three etcd
// processes, and adds the put-seq load and the memory phase.
func TestChapter06(t *testing.T) {
	assert.Equal(t, chapter{pkg: "etcdwalk/chapters/06-server/cmd/etcdwalk", members: 3, perMember: true, seqPut: true, memory: true}, chapters["06"],
		"-chapter 06: etcdwalk, one process per member as etcd, with put-seq and the memory phase")
	for _, name := range []string{"02", "03", "04"} {
		ch := chapters[name]
		assert.False(t, ch.perMember || ch.seqPut || ch.memory, "-chapter %s must run as before: no put-seq load, no memory phase", name)
	}
}

func TestParseCPUStat(t *testing.T) {
	tests := []struct {
		name string
		text string
		want cpuStat
		ok   bool
	}{
		{"the first line of /proc/stat, with every column", "cpu  100 5 50 1000 20 3 2 7 0 0\ncpu0 50 2 25 500 10 1 1 3 0 0\n",
			cpuStat{idle: 1020, total: 1187}, true},
		{"the oldest kernels' four columns and iowait", "cpu 1 2 3 4 5\n", cpuStat{idle: 9, total: 15}, true},
		{"a per-CPU line is not the total", "cpu0 1 2 3 4 5\n", cpuStat{}, false},
		{"too few columns", "cpu 1 2 3\n", cpuStat{}, false},
		{"not a number", "cpu 1 2 x 4 5\n", cpuStat{}, false},
		{"empty", "", cpuStat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseCPUStat(tt.text)
			require.Equal(t, tt.ok, ok, "whether the line is the machine's CPU time")
			if ok {
				assert.Equal(t, tt.want, got, "idle is idle + iowait (columns 4 and 5), total the sum of every column")
			}
		})
	}
}

func TestOtherCPU(t *testing.T) {
	before := cpuStat{idle: 1000, total: 2000}
	// 300 ticks of 10 ms busy since: 3 s of CPU.
	after := cpuStat{idle: 1100, total: 2400}
	tests := []struct {
		name            string
		serverCPU, tool time.Duration
		want            time.Duration
	}{
		{"the server and the tool used 2.5 s of the 3 s", 2 * time.Second, 500 * time.Millisecond, 500 * time.Millisecond},
		{"they used it all", 2 * time.Second, time.Second, 0},
		{"tick rounding makes them use more than all: not negative", 2 * time.Second, 1010 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, otherCPU(before, after, tt.serverCPU, tt.tool), "the busy CPU time less the server's and the tool's")
		})
	}
	r := result{otherCPU: time.Second, wall: 2 * time.Second}
	assert.InDelta(t, 0.5/float64(runtime.NumCPU()), r.otherBusy(), 1e-9, "1 s of other work in 2 s of wall time keeps half of one CPU busy")
	assert.Equal(t, -1.0, result{}.otherBusy(), "a load whose other work was not measured says so, not 0")
	assert.Equal(t, "?", percent(-1), "an unmeasured share prints as ?")
	assert.Equal(t, "25%", percent(0.25), "a share prints as a percentage")
}
