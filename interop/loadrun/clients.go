package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"etcdwalk/interop/proc"
)

// The client comparison (-client-bench): chapter 05's client against etcd's client/v3, both
// running the Go benchmarks of etcdwalk/chapters/05-client/pkg/clientbench against one real etcd.
const (
	// envBenchEndpoints tells both benchmark packages which server to load.
	envBenchEndpoints = "ETCDWALK_BENCH_ENDPOINTS"
	oursBenchPkg      = "etcdwalk/chapters/05-client/client/v3"
	etcdBenchPkg      = "etcdwalk/interop/clientbench"
	// clientBenchMembers: the real etcd the clients talk to, one process per member, as in the
	// -chapter 03 and 04 load runs.
	clientBenchMembers = 3
)

// benchResult is one line of `go test -bench` output.
type benchResult struct {
	name    string // without the -GOMAXPROCS suffix: "BenchmarkClient/Put"
	procs   int    // GOMAXPROCS, from the suffix; 1 when there is none
	n       int
	metrics map[string]float64 // by unit: "ns/op", "B/op", "allocs/op", "cpu-ns/op", ...
}

// procsSuffix is the -GOMAXPROCS go test appends to a benchmark's name when GOMAXPROCS > 1.
var procsSuffix = regexp.MustCompile(`-(\d+)$`)

// parseBench reads the result lines of `go test -bench` output (the format of
// golang.org/x/perf's benchfmt, which is more than these few lines need):
//
//	BenchmarkClient/Put-2   	     300	   3006668 ns/op	   61037 B/op	     503 allocs/op
//
// a name, an iteration count, then value-unit pairs. Other lines (goos, pkg, PASS, logs) are
// skipped. A failed benchmark ("--- FAIL") is an error, and so is output with no result at all:
// a benchmark that did not run must not pass for one that was measured.
func parseBench(out string) ([]benchResult, error) {
	var res []benchResult
	var failed []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "--- FAIL") {
			failed = append(failed, strings.TrimSpace(line))
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue // a log line that happens to start with "Benchmark"
		}
		r := benchResult{name: f[0], procs: 1, n: n, metrics: map[string]float64{}}
		if m := procsSuffix.FindStringSubmatch(r.name); m != nil {
			r.procs, _ = strconv.Atoi(m[1])
			r.name = strings.TrimSuffix(r.name, m[0])
		}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("cannot read %q in %q as a number", f[i], line)
			}
			r.metrics[f[i+1]] = v
		}
		if _, ok := r.metrics["ns/op"]; !ok {
			return nil, fmt.Errorf("no ns/op in %q", line)
		}
		res = append(res, r)
	}
	if len(failed) > 0 {
		return nil, fmt.Errorf("benchmarks failed: %s\n%s", strings.Join(failed, "; "), out)
	}
	if len(res) == 0 {
		return nil, errors.New("no benchmark result in the output:\n" + out)
	}
	return res, nil
}

// benchSample is one benchmark's result for one client in one round.
type benchSample struct {
	round  int
	client string // "clientv3" (etcd's) or "ours"
	benchResult
}

// benchClient is one side of the comparison: a test binary of one of the two packages.
type benchClient struct {
	name string // "clientv3" or "ours"
	pkg  string
	bin  string
}

// runClientBench starts one real etcd and runs both clients' benchmarks against it, round after
// round, alternating which goes first, then prints the medians and ratios.
func runClientBench(ctx context.Context, cfg config, stdout, progress io.Writer) error {
	started, busyBefore, workDir, builder, cleanup, err := prepare(cfg, progress)
	if err != nil {
		return err
	}
	defer cleanup()
	modDir := builder.ModuleDir()
	commit := gitCommit(modDir)
	fmt.Fprintf(progress, "building etcd and the test binaries of %s and %s (%s) in %s ...\n", oursBenchPkg, etcdBenchPkg, commit, modDir)
	etcdBin, err := builder.Build(ctx, proc.EtcdPackage, false)
	if err != nil {
		return err
	}
	clients := []benchClient{{name: "ours", pkg: oursBenchPkg}, {name: "clientv3", pkg: etcdBenchPkg}}
	for i := range clients {
		if clients[i].bin, err = builder.BuildTest(ctx, clients[i].pkg, false); err != nil {
			return err
		}
	}
	fmt.Fprintf(progress, "built in %v\n", time.Since(started).Round(time.Second))

	srv, err := startEtcd(ctx, etcdBin, workDir, clientBenchMembers)
	if err != nil {
		return err
	}
	samples, err := func() (samples []benchSample, err error) {
		defer func() {
			if stopErr := srv.stop(); stopErr != nil {
				err = errors.Join(err, fmt.Errorf("etcd: %w", stopErr))
			}
		}()
		for round := 1; round <= cfg.benchCount; round++ {
			order := slices.Clone(clients)
			if round%2 == 0 {
				slices.Reverse(order)
			}
			for _, c := range order {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				t0 := time.Now()
				res, err := runBenchBinary(ctx, c.bin, modDir, srv.endpoints, cfg.benchTime)
				if err != nil {
					return nil, fmt.Errorf("%s (%s), round %d: %w\n%s", c.name, c.pkg, round, err, srv.logTail())
				}
				fmt.Fprintf(progress, "round %d/%d  %-8s %d benchmarks in %v\n", round, cfg.benchCount, c.name, len(res), time.Since(t0).Round(time.Second))
				for _, r := range res {
					samples = append(samples, benchSample{round: round, client: c.name, benchResult: r})
				}
			}
		}
		return samples, nil
	}()
	if err != nil {
		return err
	}
	names, err := benchNames(samples)
	if err != nil {
		return err
	}
	printClientReport(stdout, cfg, etcdBin, moduleVersions(modDir, "go.etcd.io/etcd/client/v3", "google.golang.org/grpc"), clients, commit, names, samples, time.Since(started), busyBefore, cpuBusy(time.Second))
	return nil
}

// moduleVersions names the versions of mods in the build list of the workspace at dir: what both
// test binaries link (they carry no module list of their own, unlike go build's binaries), and
// both link the same grpc.
func moduleVersions(dir string, mods ...string) string {
	cmd := exec.Command("go", append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}, mods...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "(module versions unknown: " + err.Error() + ")"
	}
	return strings.Join(strings.Split(strings.TrimSpace(string(out)), "\n"), ", ") + " (`go list -m` in the workspace; both test binaries link this grpc)"
}

// benchArgs are the test binary's flags for one round: `go test -run XXX -bench . -benchmem
// -count 1 -benchtime T`, spelled as the binary takes them.
func benchArgs(benchTime string) []string {
	return []string{"-test.run", "XXX", "-test.bench", ".", "-test.benchmem", "-test.count", "1", "-test.benchtime", benchTime}
}

// runBenchBinary runs one round of a test binary's benchmarks against endpoints and parses them.
func runBenchBinary(ctx context.Context, bin, dir string, endpoints []string, benchTime string) ([]benchResult, error) {
	cmd := exec.CommandContext(ctx, bin, benchArgs(benchTime)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envBenchEndpoints+"="+strings.Join(endpoints, ","))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v\nstdout:\n%s\nstderr (end):\n%s", filepath.Base(bin), err, stdout.String(), tail(stderr.String(), 4<<10))
	}
	return parseBench(stdout.String())
}

// benchNames are the benchmarks both clients ran, in the order ours ran them; it is an error if
// one client ran a benchmark the other did not.
func benchNames(samples []benchSample) ([]string, error) {
	sets := map[string][]string{}
	for _, s := range samples {
		if !slices.Contains(sets[s.client], s.name) {
			sets[s.client] = append(sets[s.client], s.name)
		}
	}
	ours, theirs := sets["ours"], sets["clientv3"]
	a, b := slices.Sorted(slices.Values(ours)), slices.Sorted(slices.Values(theirs))
	if len(ours) == 0 || !slices.Equal(a, b) {
		return nil, fmt.Errorf("the two clients ran different benchmarks: ours %v, clientv3 %v", ours, theirs)
	}
	return ours, nil
}

// medianMetric is the median over rounds of one benchmark's metric for one client, and whether
// every round reported it.
func medianMetric(samples []benchSample, client, name, unit string) (float64, bool) {
	var xs []float64
	for _, s := range samples {
		if s.client == client && s.name == name {
			v, ok := s.metrics[unit]
			if !ok {
				return 0, false
			}
			xs = append(xs, v)
		}
	}
	return median(xs), len(xs) > 0
}

// throughputVerdict says where a throughput ratio ours/clientv3 stands against the goal of
// 0.9–1.1×.
func throughputVerdict(ratio float64) string {
	switch {
	case ratio < 0.9:
		return "no: slower"
	case ratio > 1.1:
		return "no: faster"
	default:
		return "yes"
	}
}

func allocVerdict(ours, theirs float64) string {
	if ours <= theirs {
		return "yes"
	}
	return "no: more"
}

// clientRow is one benchmark's line of the summary: medians over rounds, and the ratio.
type clientRow struct {
	name                     string
	clients                  float64 // goroutines sharing the client
	theirsNs, oursNs         float64
	theirsAllocs, oursAllocs float64
	theirsBytes, oursBytes   float64
	theirsCPU, oursCPU       float64 // cpu-ns/op; 0 where not reported
	throughput               float64 // clientv3 ns/op ÷ ours: > 1, ours is faster
	throughputOK, allocsOK   string
	haveCPU                  bool
}

func clientRows(names []string, samples []benchSample) []clientRow {
	var rows []clientRow
	for _, name := range names {
		m := func(client, unit string) float64 { v, _ := medianMetric(samples, client, name, unit); return v }
		clients, ok := medianMetric(samples, "ours", name, "clients")
		if !ok {
			clients = 1
		}
		r := clientRow{
			name: name, clients: clients,
			theirsNs: m("clientv3", "ns/op"), oursNs: m("ours", "ns/op"),
			theirsAllocs: m("clientv3", "allocs/op"), oursAllocs: m("ours", "allocs/op"),
			theirsBytes: m("clientv3", "B/op"), oursBytes: m("ours", "B/op"),
		}
		_, cpu1 := medianMetric(samples, "clientv3", name, "cpu-ns/op")
		_, cpu2 := medianMetric(samples, "ours", name, "cpu-ns/op")
		if r.haveCPU = cpu1 && cpu2; r.haveCPU {
			r.theirsCPU, r.oursCPU = m("clientv3", "cpu-ns/op"), m("ours", "cpu-ns/op")
		}
		r.throughput = r.theirsNs / r.oursNs
		r.throughputOK = throughputVerdict(r.throughput)
		r.allocsOK = allocVerdict(r.oursAllocs, r.theirsAllocs)
		rows = append(rows, r)
	}
	return rows
}

// shortName drops the benchmark function's name: "BenchmarkClient/Put" is "Put".
func shortName(name string) string {
	if _, sub, ok := strings.Cut(name, "/"); ok {
		return sub
	}
	return name
}

func us(ns float64) float64 { return ns / 1e3 }

// printClientReport prints the machine, the commands, every round and the medians with their
// ratios, as Markdown for docs/benchmarks.md.
func printClientReport(w io.Writer, cfg config, etcdBin, versions string, clients []benchClient, commit string, names []string, samples []benchSample, elapsed time.Duration, busyBefore, busyAfter float64) {
	fmt.Fprintf(w, "\n## Machine\n\n")
	fmt.Fprintf(w, "- CPUs: %d (`nproc`), %s; GOMAXPROCS of the benchmarks: %d\n", runtime.NumCPU(), cpuModel(), samples[0].procs)
	fmt.Fprintf(w, "- kernel: %s\n", kernel())
	fmt.Fprintf(w, "- Go: %s\n", goVersion())
	fmt.Fprintf(w, "- server: real etcd, %s; %s\n", depVersions(etcdBin, proc.EtcdPackage), etcdShape(clientBenchMembers))
	fmt.Fprintf(w, "- ours: `%s` at %s\n", oursBenchPkg, commit)
	fmt.Fprintf(w, "- clientv3: %s (`%s`)\n", versions, etcdBenchPkg)
	fmt.Fprintf(w, "- whole run: %v; CPUs busy with other work just before it: %.0f%%, just after it: %.0f%% (1 s samples of /proc/stat)\n",
		elapsed.Round(time.Second), 100*busyBefore, 100*busyAfter)

	fmt.Fprintf(w, "\n## Benchmarks (the same bodies for both clients, etcdwalk/chapters/05-client/pkg/clientbench)\n\n")
	fmt.Fprintf(w, "%d rounds, each running both test binaries once against the same etcd, in turn (ours first in odd rounds):\n\n```\n", cfg.benchCount)
	for _, c := range clients {
		fmt.Fprintf(w, "%s=URL,URL,URL %s %s    # %s\n", envBenchEndpoints, filepath.Base(c.bin), strings.Join(benchArgs(cfg.benchTime), " "), c.pkg)
	}
	fmt.Fprintf(w, "```\n")

	fmt.Fprintf(w, "\n## Every round\n\n")
	fmt.Fprintf(w, "| round | benchmark | client | ops | µs/op | cpu µs/op | allocs/op | B/op |\n")
	fmt.Fprintf(w, "|---|---|---|---:|---:|---:|---:|---:|\n")
	for _, s := range samples {
		cpu := "–"
		if v, ok := s.metrics["cpu-ns/op"]; ok {
			cpu = fmt.Sprintf("%.1f", us(v))
		}
		fmt.Fprintf(w, "| %d | %s | %s | %d | %.1f | %s | %.0f | %.0f |\n",
			s.round, shortName(s.name), s.client, s.n, us(s.metrics["ns/op"]), cpu, s.metrics["allocs/op"], s.metrics["B/op"])
	}

	rows := clientRows(names, samples)
	fmt.Fprintf(w, "\n## Median of %d rounds, ours against clientv3\n\n", cfg.benchCount)
	fmt.Fprintf(w, "| benchmark | clients | clientv3 µs/op | ours µs/op | **throughput ours/clientv3** | within 0.9–1.1× | clientv3 allocs/op | ours allocs/op | allocs ≤ clientv3 | clientv3 B/op | ours B/op | clientv3 cpu µs/op | ours cpu µs/op | cpu ours/clientv3 |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		cpu := "– | – | –"
		if r.haveCPU {
			cpu = fmt.Sprintf("%.1f | %.1f | %.2f", us(r.theirsCPU), us(r.oursCPU), r.oursCPU/r.theirsCPU)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.1f | %.1f | **%.2f** | %s | %.0f | %.0f | %s | %.0f | %.0f | %s |\n",
			shortName(r.name), r.clients, us(r.theirsNs), us(r.oursNs), r.throughput, r.throughputOK,
			r.theirsAllocs, r.oursAllocs, r.allocsOK, r.theirsBytes, r.oursBytes, cpu)
	}
	fmt.Fprintf(w, "\nthroughput ours/clientv3 = clientv3 ns/op ÷ ours ns/op: > 1, ours is faster. allocs/op and B/op are the\n"+
		"benchmark process's, which holds the client alone (etcd runs in other processes); cpu µs/op is that process's CPU\n"+
		"time (user + system, getrusage) per op: the client's own cost, which µs/op hides behind the wait for the server.\n"+
		"clients: the goroutines that share the one client (b.SetParallelism in the parallel benchmarks).\n")
}
