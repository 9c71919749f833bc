package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// load is one benchmark-tool run: the same arguments against every server.
type load struct {
	name           string   // "put", "put-seq" (one client), "get" (linearizable), "get-s" (serializable), "memory"
	conns, clients int      // the tool's --conns and --clients
	args           []string // the tool's subcommand and its flags, after the global flags
	total          int      // requests the load sends
	// readsKey: the load reads the config's getKey, which must be put before it.
	readsKey bool
}

// loads are the loads of every round, in the order they run: with cfg.seqPut, puts from one
// client on one connection first (each put waits for the previous one: the latency of one
// write through the whole path); then puts from cfg.clients clients; then linearizable gets of
// one key (etcd's ReadIndex path), then serializable gets of the same key (the local store only:
// `range KEY --consistency s`).
func (cfg config) loads() []load {
	var loads []load
	if cfg.seqPut {
		loads = append(loads, cfg.putLoad("put-seq", 1, 1, cfg.putSeqTotal, cfg.valSize, cfg.keySpace))
	}
	return append(loads,
		cfg.putLoad("put", cfg.conns, cfg.clients, cfg.putTotal, cfg.valSize, cfg.keySpace),
		load{name: "get", conns: cfg.conns, clients: cfg.clients, args: []string{"range", cfg.getKey,
			"--consistency", "l",
			"--total", strconv.Itoa(cfg.getTotal)}, total: cfg.getTotal, readsKey: true},
		load{name: "get-s", conns: cfg.conns, clients: cfg.clients, args: []string{"range", cfg.getKey,
			"--consistency", "s",
			"--total", strconv.Itoa(cfg.getSTotal)}, total: cfg.getSTotal, readsKey: true},
	)
}

// memoryLoad is the memory phase's load: cfg.memTotal puts of cfg.memValSize bytes, each to a key
// of its own (sequential keys over a key space as large as the total), from the put load's clients.
func (cfg config) memoryLoad() load {
	return cfg.putLoad("memory", cfg.conns, cfg.clients, cfg.memTotal, cfg.memValSize, cfg.memTotal)
}

// putLoad is `benchmark put` with sequential keys cycling through keySpace keys.
func (cfg config) putLoad(name string, conns, clients, total, valSize, keySpace int) load {
	return load{name: name, conns: conns, clients: clients, args: []string{"put",
		"--total", strconv.Itoa(total),
		"--key-size", strconv.Itoa(cfg.keySize),
		"--val-size", strconv.Itoa(valSize),
		"--sequential-keys",
		"--key-space-size", strconv.Itoa(keySpace)}, total: total}
}

// result is what the tool's report says about one load against one server.
type result struct {
	total    time.Duration // wall time of the whole load
	rps      float64       // requests per second
	p50, p99 time.Duration

	// CPU time used during the load by the server's processes (all of them, all threads) and by
	// the benchmark tool; zero where it could not be measured.
	serverCPU, toolCPU time.Duration
	// otherCPU is the CPU time the machine spent on other work during the load, over wall, the
	// time the tool ran; both zero where they could not be measured.
	otherCPU, wall time.Duration
}

// otherBusy is the share of the machine's CPUs that other work kept busy during the load, or -1
// where it could not be measured.
func (r result) otherBusy() float64 {
	if r.wall <= 0 {
		return -1
	}
	return float64(r.otherCPU) / (float64(r.wall) * float64(runtime.NumCPU()))
}

// runLoad runs the benchmark tool against endpoints with the load's conns gRPC connections shared
// by its clients goroutines, and parses its report. With several endpoints the tool opens its connections to them
// in turn (connection i to endpoint i mod len(endpoints)), so the clients are spread over the
// members.
func runLoad(ctx context.Context, tool string, endpoints []string, l load) (result, string, error) {
	args := append([]string{
		"--endpoints", strings.Join(endpoints, ","),
		"--conns", strconv.Itoa(l.conns),
		"--clients", strconv.Itoa(l.clients),
		"--dial-timeout", "5s",
		"--precise",
	}, l.args...)
	cmd := exec.CommandContext(ctx, tool, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	cmdline := "benchmark " + strings.Join(args, " ")
	if err != nil {
		return result{}, cmdline, fmt.Errorf("%s: %v\nstdout:\n%s\nstderr (end):\n%s", cmdline, err, stdout.String(), tail(stderr.String(), 4<<10))
	}
	res, err := parseReport(stdout.String())
	if err != nil {
		return result{}, cmdline, fmt.Errorf("%s: %w", cmdline, err)
	}
	res.toolCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return res, cmdline, nil
}

// parseReport reads the summary etcd's pkg/report prints (with --precise, so numbers are %g):
//
//	Summary:
//	  Total:	1.5 secs.
//	  ...
//	  Requests/sec:	6666.6
//	...
//	Latency distribution:
//	  ...
//	  50% in 0.0071 secs.
//	  ...
//	  99% in 0.02 secs.
//
// A report with an "Error distribution" section is an error: every request must succeed.
func parseReport(out string) (result, error) {
	var res result
	var haveTotal, haveRPS, have50, have99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	var errorLines []string
	inErrors := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Error distribution:"):
			inErrors = true
		case inErrors && strings.HasPrefix(line, "["):
			errorLines = append(errorLines, line)
		case strings.HasPrefix(line, "Total:"):
			d, err := parseSecs(strings.TrimPrefix(line, "Total:"))
			if err != nil {
				return res, err
			}
			res.total, haveTotal = d, true
		case strings.HasPrefix(line, "Requests/sec:"):
			f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			if err != nil {
				return res, fmt.Errorf("cannot read %q: %w", line, err)
			}
			res.rps, haveRPS = f, true
		case strings.HasPrefix(line, "50% in "):
			d, err := parseSecs(strings.TrimPrefix(line, "50% in "))
			if err != nil {
				return res, err
			}
			res.p50, have50 = d, true
		case strings.HasPrefix(line, "99% in "):
			d, err := parseSecs(strings.TrimPrefix(line, "99% in "))
			if err != nil {
				return res, err
			}
			res.p99, have99 = d, true
		}
	}
	if len(errorLines) > 0 {
		return res, fmt.Errorf("requests failed:\n%s", strings.Join(errorLines, "\n"))
	}
	if !haveTotal || !haveRPS || !have50 || !have99 {
		return res, errors.New("the report lacks Total, Requests/sec or the 50%/99% latencies:\n" + out)
	}
	return res, nil
}

// parseSecs reads "0.0071 secs." as a duration.
func parseSecs(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimSuffix(s, " secs.")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == s {
		return 0, fmt.Errorf("cannot read %q as seconds", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
