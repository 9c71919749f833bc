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
