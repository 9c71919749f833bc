package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// status is the memory part of a /proc/PID/status (Linux 6), with the lines around it.
const status = `Name:	etcd
Umask:	0022
State:	S (sleeping)
VmPeak:	 2290716 kB
VmSize:	 2290716 kB
VmLck:	       0 kB
VmHWM:	  215040 kB
VmRSS:	  204800 kB
RssAnon:	  153600 kB
RssFile:	   51200 kB
RssShmem:	       0 kB
VmData:	  300000 kB
Threads:	12
`

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    memStatus
		wantErr string
	}{
		{"a whole status file", status, memStatus{hwm: 210 << 20, rss: 200 << 20, anon: 150 << 20, file: 50 << 20}, ""},
		{"only the four lines, in another order", "RssFile:\t1 kB\nRssAnon:\t2 kB\nVmRSS:\t3 kB\nVmHWM:\t4 kB\n",
			memStatus{hwm: 4 << 10, rss: 3 << 10, anon: 2 << 10, file: 1 << 10}, ""},
		{"VmHWM missing", strings.Replace(status, "VmHWM:", "VmXXX:", 1), memStatus{}, "lacks VmHWM"},
		{"RssAnon and RssFile missing (before Linux 4.5)", "VmHWM:\t4 kB\nVmRSS:\t3 kB\n", memStatus{}, "lacks RssAnon, RssFile"},
		{"no unit", strings.Replace(status, "215040 kB", "215040", 1), memStatus{}, `cannot read "VmHWM:`},
		{"another unit", strings.Replace(status, "215040 kB", "210 MB", 1), memStatus{}, `cannot read "VmHWM:`},
		{"not a number", strings.Replace(status, "153600 kB", "lots kB", 1), memStatus{}, `cannot read "RssAnon:`},
		{"negative", strings.Replace(status, "153600 kB", "-1 kB", 1), memStatus{}, `cannot read "RssAnon:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(tt.text)
			if tt.wantErr != "" {
				require.Error(t, err, "a status the memory figures cannot be read from must be an error, not zeros")
				assert.Contains(t, err.Error(), tt.wantErr, "the error should say what is wrong")
				return
			}
			require.NoError(t, err, "the status should parse")
			assert.Equal(t, tt.want, got, "VmHWM, VmRSS, RssAnon and RssFile in bytes (kB × 1024), the other lines ignored")
		})
	}
}

// The sampler reads a live process: this test's own.
func TestSampleMemory(t *testing.T) {
	stop := sampleMemory([]int{os.Getpid(), os.Getpid()}, time.Hour)
	samples, err := stop()
	require.NoError(t, err, "the test process's own status should be readable")
	require.Len(t, samples, 2, "with an hour between ticks: the sample at the start and the one at stop, nothing between")
	for _, s := range samples {
		require.Len(t, s.procs, 2, "a sample holds every pid sampled")
		assert.Positive(t, s.procs[0].hwm, "a running process has a peak RSS")
		assert.GreaterOrEqual(t, s.procs[0].hwm, s.procs[0].rss, "the peak RSS is at least the current one")
	}
	assert.LessOrEqual(t, samples[0].at, samples[1].at, "samples come in the order taken")
}

func TestSampleMemoryGone(t *testing.T) {
	// No pid is this large (pid_max is at most 2^22).
	stop := sampleMemory([]int{1 << 30}, time.Hour)
	_, err := stop()
	assert.Error(t, err, "a process that cannot be read must end the sampling with an error")
}

func TestAtFractions(t *testing.T) {
	at := func(ms int, anon int64) memSample {
		return memSample{at: time.Duration(ms) * time.Millisecond, procs: []memStatus{{anon: anon}}}
	}
	samples := []memSample{at(0, 1), at(250, 2), at(500, 3), at(750, 4), at(1000, 5)}
	tests := []struct {
		name      string
		samples   []memSample
		fractions []float64
		want      []int64 // anon of the sample chosen for each fraction
	}{
		{"a sample on every quarter", samples, []float64{0.25, 0.5, 0.75, 1}, []int64{2, 3, 4, 5}},
		{"between samples: the last one before", samples, []float64{0.2, 0.6, 0.99}, []int64{1, 3, 4}},
		{"fraction 0: the first", samples, []float64{0}, []int64{1}},
		{"two samples only", []memSample{at(0, 1), at(40, 9)}, []float64{0.25, 0.5, 0.75, 1}, []int64{1, 1, 1, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, s := range atFractions(tt.samples, tt.fractions) {
				got = append(got, s.procs[0].anon)
			}
			assert.Equal(t, tt.want, got, "for each fraction, the last sample at or before it")
		})
	}
	assert.Equal(t, int64(5), peakAnon(samples, 0), "the peak RssAnon is the largest sampled")
}

func TestDataDirUsage(t *testing.T) {
	write := func(t *testing.T, path string, size int) {
		t.Helper()
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, make([]byte, size), 0o644))
	}
	tests := []struct {
		name  string
		files map[string]int // path under the data dir -> size
		want  diskUsage
	}{
		{"nothing yet", nil, diskUsage{}},
		{"a member after snapshots", map[string]int{
			"member/snap/db": 1000,
			"member/snap/0000000000000002-0000000000002711.snap": 10,
			"member/snap/0000000000000002-0000000000004e22.snap": 10,
			"member/wal/0000000000000000-0000000000000000.wal":   300,
			"member/wal/0.tmp": 20,
		}, diskUsage{db: 1000, wal: 320, snaps: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for path, size := range tt.files {
				write(t, filepath.Join(dir, path), size)
			}
			got, err := dataDirUsage(dir)
			require.NoError(t, err, "a data directory, whole or in part, should be measured")
			assert.Equal(t, tt.want, got, "the db file's size, every file under member/wal, the .snap files counted")
		})
	}
}

func TestPrintMemory(t *testing.T) {
	member := func(name string, hwm int64) memberMemory {
		return memberMemory{name: name, after: memStatus{hwm: hwm << 20}, growth: []memStatus{{anon: 1 << 20}, {anon: 2 << 20}}}
	}
	runs := []memoryRun{
		{target: "etcd", members: []memberMemory{member("etcd1", 100), member("etcd2", 200)}},
		{target: "ours", members: []memberMemory{member("ours1", 250), member("ours2", 150)}},
	}
	runs[1].members[0].leader = true
	var b strings.Builder
	printMemory(&b, config{memTotal: 10, memValSize: 4096}, runs)
	out := b.String()
	assert.Contains(t, out, "| ours | ours1 (leader) | 250.0 | 1 · 2 |", "every member's row: its peak RSS and its RssAnon as the load went on, the leader named")
	assert.Contains(t, out, "etcd 200.0 MiB, ours 250.0 MiB: **ours/etcd 1.25**", "the ratio of the largest peak RSS of either side")
	assert.Equal(t, int64(250<<20), runs[1].largest(), "the largest peak RSS of a side's members")
}
