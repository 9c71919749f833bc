package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"etcdwalk/interop/proc"
)

// config is what the flags set; the defaults are the load docs/benchmarks.md reports.
type config struct {
	chapter     string
	serverPkg   string
	members     int  // of both sides: etcd runs this many processes, ours this many members
	cluster     bool // ours runs a whole cluster in one process (chapters 03, 04)
	perMember   bool // ours runs one process per member, started with etcd's flags (chapter 06)
	seqPut      bool // every round also runs the one-client put load (chapter 06)
	memory      bool // the memory phase follows the rounds (chapter 06), unless memTotal is 0
	rounds      int
	conns       int
	clients     int
	putTotal    int
	putSeqTotal int
	getTotal    int
	getSTotal   int
	valSize     int
	keySize     int
	keySpace    int
	getKey      string
	workDirArg  string

	// The memory phase: memTotal puts of memValSize bytes, each to a key of its own.
	memTotal   int
	memValSize int

	// -client-bench: chapter 05's client against etcd's client/v3, on one real etcd.
	clientBench bool
	benchCount  int
	benchTime   string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.chapter, "chapter", "02", "the comparison: 02 (chapter 02, one member, against a one-member etcd), 03 or 04 (that chapter's three members in one process against a three-member etcd), 06 (three etcdwalk processes against three etcd processes, with the one-client put load and the memory phase)")
	flag.StringVar(&cfg.serverPkg, "server", "", "our server to measure, a main package of the workspace of the same kind as the chapter's (default: the chapter's cmd/server)")
	flag.IntVar(&cfg.rounds, "rounds", 5, "rounds; each runs every load against a fresh etcd and a fresh server, alternating which goes first (with -chapter 06, 0 runs the memory phase alone)")
	flag.IntVar(&cfg.conns, "conns", 10, "gRPC connections the benchmark tool opens")
	flag.IntVar(&cfg.clients, "clients", 50, "concurrent clients (goroutines) sharing the connections round-robin")
	flag.IntVar(&cfg.putTotal, "put-total", 50000, "puts per round and server")
	flag.IntVar(&cfg.putSeqTotal, "put-seq-total", 2000, "with -chapter 06: puts per round and server of the put-seq load (one client, one connection)")
	flag.IntVar(&cfg.getTotal, "get-total", 100000, "linearizable gets per round and server")
	flag.IntVar(&cfg.getSTotal, "get-s-total", 100000, "serializable gets per round and server")
	flag.IntVar(&cfg.valSize, "val-size", 256, "value size in bytes, for puts and for the key the gets read")
	flag.IntVar(&cfg.keySize, "key-size", 8, "key size in bytes of the puts")
	flag.IntVar(&cfg.keySpace, "key-space", 10000, "distinct keys the puts cycle through (sequentially)")
	flag.StringVar(&cfg.getKey, "get-key", "loadrun/get", "the key the get loads read")
	flag.IntVar(&cfg.memTotal, "memory-total", 40000, "with -chapter 06: puts of the memory phase, each to a key of its own, against one fresh cluster of each side (0: no memory phase)")
	flag.IntVar(&cfg.memValSize, "memory-val-size", 4096, "with -chapter 06: value size in bytes of the memory phase's puts")
	flag.StringVar(&cfg.workDirArg, "work-dir", "", "where binaries, data directories and logs go (default: a new temporary directory, removed at the end)")
	flag.BoolVar(&cfg.clientBench, "client-bench", false, "instead of the load run: chapter 05's client against etcd's client/v3, the same Go benchmarks against one three-member real etcd (-chapter and the load flags do not apply)")
	flag.IntVar(&cfg.benchCount, "bench-count", 3, "with -client-bench: rounds, each running both clients' benchmarks once (go test -count 1), alternating which goes first")
	flag.StringVar(&cfg.benchTime, "bench-time", "2s", "with -client-bench: go test -benchtime of every benchmark")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./interop/loadrun [flags]\n\n"+
			"Runs the same put, linearizable-get and serializable-get loads, with etcd's benchmark tool, against real etcd v3.6.16\n"+
			"and one of our servers, one at a time, and prints throughput, p50, p99 and the ratio ours/etcd.\n"+
			"With -client-bench: the same Go benchmarks through chapter 05's client and through etcd's client/v3, against\n"+
			"one real etcd, and the ratios of ns/op and allocs/op.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ch, ok := chapters[cfg.chapter]
	if !ok {
		fmt.Fprintf(os.Stderr, "loadrun: -chapter %q: want 02, 03, 04 or 06\n", cfg.chapter)
		os.Exit(2)
	}
	if cfg.serverPkg == "" {
		cfg.serverPkg = ch.pkg
	}
	cfg.members, cfg.cluster, cfg.perMember, cfg.seqPut, cfg.memory = ch.members, ch.cluster, ch.perMember, ch.seqPut, ch.memory && cfg.memTotal > 0
	minRounds := 1
	if cfg.memory {
		minRounds = 0 // the memory phase alone
	}
	if flag.NArg() > 0 || cfg.benchCount < 1 || cfg.rounds < minRounds || cfg.conns < 1 || cfg.clients < 1 || cfg.putTotal < 1 || cfg.getTotal < 1 || cfg.getSTotal < 1 ||
		cfg.putSeqTotal < 1 || cfg.memTotal < 0 || cfg.memValSize < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	measure := run
	if cfg.clientBench {
		measure = runClientBench
	}
	if err := measure(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadrun:", err)
		stop()
		os.Exit(1)
	}
}

// chapter is one comparison -chapter selects: our server and the size of both clusters.
type chapter struct {
	pkg     string
	members int
	cluster bool // the server runs every member in one process and takes one client URL per member
	// perMember: the server is one member per process and takes etcd's flags, so it is started
	// exactly as etcd is (proc.StartCluster).
	perMember bool
	seqPut    bool // the rounds also run the put-seq load
	memory    bool // a memory phase follows the rounds
}

var chapters = map[string]chapter{
	"02": {pkg: "etcdwalk/chapters/02-kvserver/cmd/server", members: 1},
	"03": {pkg: "etcdwalk/chapters/03-propose-wait/cmd/server", members: 3, cluster: true},
	"04": {pkg: "etcdwalk/chapters/04-linearizable-read/cmd/server", members: 3, cluster: true},
	"06": {pkg: "etcdwalk/chapters/06-server/cmd/etcdwalk", members: 3, perMember: true, seqPut: true, memory: true},
}

// target is one of the two servers being compared.
type target struct {
	name  string // "etcd" or "ours"
	start func(context.Context) (*server, error)
}

// sample is one load against one server in one round.
type sample struct {
	round    int
	load     string
	target   string
	requests int
	result
}

// cpuPerRequest is the server's and the tool's CPU time per request, in µs.
func (s sample) cpuPerRequest() (server, tool float64) {
	n := float64(s.requests)
	return float64(s.serverCPU) / float64(time.Microsecond) / n, float64(s.toolCPU) / float64(time.Microsecond) / n
}

// cpusBusy is the share of the machine's CPUs the server and the tool kept busy during the load.
func (s sample) cpusBusy() float64 {
	return float64(s.serverCPU+s.toolCPU) / (float64(s.total) * float64(runtime.NumCPU()))
}

// prepare is how every run begins: note the time and how busy the machine already is (warning
// if it is), make the work directory, and a Builder in it. cleanup removes what it made.
func prepare(cfg config, progress io.Writer) (started time.Time, busyBefore float64, workDir string, builder *proc.Builder, cleanup func(), err error) {
	started = time.Now()
	busyBefore = cpuBusy(time.Second)
	if busyBefore > 0.25 {
		fmt.Fprintf(progress, "warning: other work keeps %.0f%% of the CPUs busy: the numbers will be noisy\n", 100*busyBefore)
	}
	workDir, cleanup, err = makeWorkDir(cfg.workDirArg)
	if err != nil {
		return
	}
	if builder, err = proc.NewBuilder(workDir); err != nil {
		cleanup()
	}
	return
}

func run(ctx context.Context, cfg config, stdout, progress io.Writer) error {
	started, busyBefore, workDir, builder, cleanup, err := prepare(cfg, progress)
	if err != nil {
		return err
	}
	defer cleanup()
	modDir := builder.ModuleDir()

	commit := gitCommit(modDir) // what the build below compiles
	fmt.Fprintf(progress, "building etcd, the benchmark tool and %s (%s) in %s ...\n", cfg.serverPkg, commit, modDir)
	bins := map[string]string{}
	// Without the race detector: it would slow our server and not etcd.
	for name, pkg := range map[string]string{"etcd": proc.EtcdPackage, "benchmark": proc.BenchmarkPackage, "ours": cfg.serverPkg} {
		if bins[name], err = builder.Build(ctx, pkg, false); err != nil {
			return err
		}
	}
	fmt.Fprintf(progress, "built in %v\n", time.Since(started).Round(time.Second))

	targets := []target{
		{name: "etcd", start: func(ctx context.Context) (*server, error) {
			return startEtcd(ctx, bins["etcd"], workDir, cfg.members)
		}},
		{name: "ours", start: func(ctx context.Context) (*server, error) {
			if cfg.perMember {
				return startOursMembers(ctx, bins["ours"], workDir, cfg.members)
			}
			return startOurs(ctx, bins["ours"], workDir, "ours", cfg.members, cfg.cluster)
		}},
	}
	value := strings.Repeat("v", cfg.valSize)
	loads := cfg.loads()
	var names []string
	for _, l := range loads {
		names = append(names, l.name)
	}

	var samples []sample
	var cmdlines []string
	for round := 1; round <= cfg.rounds; round++ {
		order := slices.Clone(targets)
		if round%2 == 0 {
			slices.Reverse(order)
		}
		for _, t := range order {
			if err := ctx.Err(); err != nil {
				return err
			}
			srv, err := t.start(ctx)
			if err != nil {
				return err
			}
			err = func() (err error) {
				defer func() {
					if stopErr := srv.stop(); stopErr != nil {
						err = errors.Join(err, fmt.Errorf("%s, round %d: %w", t.name, round, stopErr))
					}
				}()
				keyPut := false
				for _, l := range loads {
					if l.readsKey && !keyPut {
						// The key the gets read, with a value of the put load's size.
						if err := srv.put(ctx, cfg.getKey, value); err != nil {
							return fmt.Errorf("%s: put %s: %w", t.name, cfg.getKey, err)
						}
						keyPut = true
					}
					res, cmdline, err := measureLoad(ctx, bins["benchmark"], srv, l)
					if err != nil {
						return fmt.Errorf("%s, round %d, %s load: %w\n%s", t.name, round, l.name, err, srv.logTail())
					}
					if round == 1 && t.name == "etcd" {
						cmdlines = append(cmdlines, cmdline)
					}
					fmt.Fprintf(progress, "round %d/%d  %-4s %-7s  %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  (%.1fs, other work %s)\n",
						round, cfg.rounds, t.name, l.name, res.rps, ms(res.p50), ms(res.p99), res.total.Seconds(), percent(res.otherBusy()))
					samples = append(samples, sample{round: round, load: l.name, target: t.name, requests: l.total, result: res})
				}
				return nil
			}()
			if err != nil {
				return err
			}
		}
	}

	var mem []memoryRun
	if cfg.memory {
		var cmdline string
		if mem, cmdline, err = runMemory(ctx, cfg, bins["benchmark"], targets, progress); err != nil {
			return err
		}
		cmdlines = append(cmdlines, cmdline)
	}

	printReport(stdout, cfg, bins, commit, cmdlines, names, samples, mem, time.Since(started), busyBefore, cpuBusy(time.Second))
	return nil
}

// measureLoad runs load l against srv and adds to the tool's figures the CPU time the server's
// processes used meanwhile, and the time the machine's CPUs spent on other work.
func measureLoad(ctx context.Context, tool string, srv *server, l load) (result, string, error) {
	cpu0, ok0 := srv.cpu()
	st0, okSt0 := readCPUStat()
	start := time.Now()
	res, cmdline, err := runLoad(ctx, tool, srv.endpoints, l)
	if err != nil {
		return res, cmdline, err
	}
	wall := time.Since(start)
	st1, okSt1 := readCPUStat()
	cpu1, ok1 := srv.cpu()
	if ok0 && ok1 {
		res.serverCPU = cpu1 - cpu0
		if okSt0 && okSt1 {
			res.otherCPU, res.wall = otherCPU(st0, st1, res.serverCPU, res.toolCPU), wall
		}
	}
	return res, cmdline, nil
}

// percent prints a share of the CPUs, or "?" for one that could not be measured (< 0).
func percent(share float64) string {
	if share < 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f%%", 100*share)
}

// memSampleEvery is how often the memory phase reads every member's /proc/PID/status.
const memSampleEvery = 250 * time.Millisecond

// runMemory is the memory phase: for each side in turn, etcd first, a fresh cluster takes the
// memory load while every member's memory is sampled; then each member's peak RSS, whether it
// leads, and what its data directory holds are noted before the cluster is stopped.
func runMemory(ctx context.Context, cfg config, bench string, targets []target, progress io.Writer) (runs []memoryRun, cmdline string, err error) {
	l := cfg.memoryLoad()
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		srv, err := t.start(ctx)
		if err != nil {
			return nil, "", err
		}
		run, cl, err := func() (run memoryRun, cl string, err error) {
			defer func() {
				if stopErr := srv.stop(); stopErr != nil {
					err = errors.Join(err, fmt.Errorf("%s, memory phase: %w", t.name, stopErr))
				}
			}()
			pids := make([]int, len(srv.procs))
			for i, p := range srv.procs {
				pids[i] = p.Pid()
			}
			stopSampling := sampleMemory(pids, memSampleEvery)
			res, cl, err := measureLoad(ctx, bench, srv, l)
			samples, sampErr := stopSampling()
			if err != nil {
				return run, cl, fmt.Errorf("%s, memory load: %w\n%s", t.name, err, srv.logTail())
			}
			if sampErr != nil {
				return run, cl, fmt.Errorf("%s, memory load: %w\n%s", t.name, sampErr, srv.logTail())
			}
			run = memoryRun{target: t.name, res: res}
			leader := srv.leader(ctx)
			growth := atFractions(samples, memFractions)
			last := samples[len(samples)-1]
			for i, p := range srv.procs {
				disk, err := dataDirUsage(srv.dataDirs[i])
				if err != nil {
					return run, cl, fmt.Errorf("%s: %w", p.Name(), err)
				}
				m := memberMemory{name: p.Name(), leader: i == leader, after: last.procs[i], peakAnon: peakAnon(samples, i), disk: disk}
				for _, g := range growth {
					m.growth = append(m.growth, g.procs[i])
				}
				run.members = append(run.members, m)
			}
			return run, cl, nil
		}()
		if err != nil {
			return nil, "", err
		}
		fmt.Fprintf(progress, "memory     %-4s %d puts of %d B  %9.0f req/s  largest peak RSS %6.1f MiB  (%.1fs, other work %s)\n",
			t.name, cfg.memTotal, cfg.memValSize, run.res.rps, mib(run.largest()), run.res.total.Seconds(), percent(run.res.otherBusy()))
		runs = append(runs, run)
		if cmdline == "" {
			cmdline = cl
		}
	}
	return runs, cmdline, nil
}

// makeWorkDir returns the directory for binaries, data and logs: arg, made if need be and kept, or
// a new temporary directory, which cleanup removes.
func makeWorkDir(arg string) (dir string, cleanup func(), err error) {
	if arg != "" {
		return arg, func() {}, os.MkdirAll(arg, 0o755)
	}
	dir, err = os.MkdirTemp("", "etcdwalk-loadrun-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

func etcdShape(members int) string {
	if members == 1 {
		return "one member"
	}
	return fmt.Sprintf("%d members, one process each, talking over loopback HTTP", members)
}

func oursShape(members int, cluster, perMember bool) string {
	if perMember {
		return etcdShape(members) + ", started with the same flags as etcd"
	}
	if !cluster {
		return "one member"
	}
	return fmt.Sprintf("%d members in one process, raft messages over an in-memory network", members)
}

// gitCommit names the commit the working tree is at, with "+ local changes" when the chapters' Go
// code differs from it, so that a report says what code it measured.
func gitCommit(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "an unknown commit"
	}
	commit := "commit " + strings.TrimSpace(string(out))
	status, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--",
		":(top,glob)chapters/**/*.go", ":(top,glob)chapters/**/go.mod").Output()
	if err == nil && len(bytes.TrimSpace(status)) > 0 {
		commit += " + local changes to chapters/"
	}
	return commit
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// printReport prints the machine, the versions, every sample and the medians with their ratios,
// as Markdown.
func printReport(w io.Writer, cfg config, bins map[string]string, commit string, cmdlines, loads []string, samples []sample, mem []memoryRun, elapsed time.Duration, busyBefore, busyAfter float64) {
	fmt.Fprintf(w, "\n## Machine\n\n")
	fmt.Fprintf(w, "- CPUs: %d (`nproc`), %s\n", runtime.NumCPU(), cpuModel())
	fmt.Fprintf(w, "- kernel: %s\n", kernel())
	fmt.Fprintf(w, "- Go: %s\n", goVersion())
	fmt.Fprintf(w, "- real etcd: %s; %s\n", depVersions(bins["etcd"], proc.EtcdPackage), etcdShape(cfg.members))
	fmt.Fprintf(w, "- benchmark tool: %s\n", depVersions(bins["benchmark"], "go.etcd.io/etcd/v3", "go.etcd.io/etcd/client/v3", "google.golang.org/grpc"))
	fmt.Fprintf(w, "- ours: `%s` at %s; %s\n", cfg.serverPkg, commit, oursShape(cfg.members, cfg.cluster, cfg.perMember))
	fmt.Fprintf(w, "- whole run: %v; CPUs busy with other work just before it: %.0f%%, just after it: %.0f%% (1 s samples of /proc/stat)\n",
		elapsed.Round(time.Second), 100*busyBefore, 100*busyAfter)

	fmt.Fprintf(w, "\n## Loads (the same for both servers; only the endpoints differ)\n\n```\n")
	for _, c := range cmdlines {
		fmt.Fprintln(w, c)
	}
	fmt.Fprintf(w, "```\n")

	if len(samples) > 0 {
		printRounds(w, cfg, loads, samples)
	}
	if len(mem) > 0 {
		printMemory(w, cfg, mem)
	}
}

// printRounds prints every round's samples, the medians with their ratios, and the CPU per request.
func printRounds(w io.Writer, cfg config, loads []string, samples []sample) {
	fmt.Fprintf(w, "\n## Every round\n\n")
	fmt.Fprintf(w, "| round | load | server | req/s | p50 ms | p99 ms | wall s | server CPU µs/req | tool CPU µs/req | CPUs busy | other work |\n")
	fmt.Fprintf(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var others []float64
	for _, s := range samples {
		srvCPU, toolCPU := s.cpuPerRequest()
		fmt.Fprintf(w, "| %d | %s | %s | %.0f | %.2f | %.2f | %.1f | %.0f | %.0f | %.0f%% | %s |\n",
			s.round, s.load, s.target, s.rps, ms(s.p50), ms(s.p99), s.total.Seconds(), srvCPU, toolCPU, 100*s.cpusBusy(), percent(s.otherBusy()))
		if o := s.otherBusy(); o >= 0 {
			others = append(others, o)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(w, "\nother work: the share of the CPUs that went to neither the server nor the tool during the load (/proc/stat\n"+
			"less both); median over the samples %s, largest %s.\n", percent(median(others)), percent(slices.Max(others)))
	}

	fmt.Fprintf(w, "\n## Median of %d rounds, ratio ours/etcd\n\n", cfg.rounds)
	fmt.Fprintf(w, "| load | etcd req/s | ours req/s | **throughput ours/etcd** | etcd p50 ms | ours p50 ms | p50 ours/etcd | etcd p99 ms | ours p99 ms | p99 ours/etcd |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, l := range loads {
		med := func(target string, f func(result) float64) float64 {
			var xs []float64
			for _, s := range samples {
				if s.load == l && s.target == target {
					xs = append(xs, f(s.result))
				}
			}
			return median(xs)
		}
		rps := func(r result) float64 { return r.rps }
		p50 := func(r result) float64 { return ms(r.p50) }
		p99 := func(r result) float64 { return ms(r.p99) }
		e, o := med("etcd", rps), med("ours", rps)
		e50, o50 := med("etcd", p50), med("ours", p50)
		e99, o99 := med("etcd", p99), med("ours", p99)
		fmt.Fprintf(w, "| %s | %.0f | %.0f | **%.2f** | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
			l, e, o, o/e, e50, o50, o50/e50, e99, o99, o99/e99)
	}
	fmt.Fprintf(w, "\nthroughput ours/etcd > 1: ours is faster; latency ours/etcd < 1: ours answers sooner.\n")

	fmt.Fprintf(w, "\n## CPU per request, median of %d rounds\n\n", cfg.rounds)
	fmt.Fprintf(w, "| load | etcd server CPU µs/req | ours server CPU µs/req | server CPU ours/etcd | etcd tool CPU µs/req | ours tool CPU µs/req | CPUs busy, etcd | CPUs busy, ours |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, l := range loads {
		med := func(target string, f func(sample) float64) float64 {
			var xs []float64
			for _, s := range samples {
				if s.load == l && s.target == target {
					xs = append(xs, f(s))
				}
			}
			return median(xs)
		}
		srv := func(s sample) float64 { v, _ := s.cpuPerRequest(); return v }
		tool := func(s sample) float64 { _, v := s.cpuPerRequest(); return v }
		busy := func(s sample) float64 { return 100 * s.cpusBusy() }
		etcdCPU, oursCPU := med("etcd", srv), med("ours", srv)
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.0f%% | %.0f%% |\n",
			l, etcdCPU, oursCPU, oursCPU/etcdCPU, med("etcd", tool), med("ours", tool), med("etcd", busy), med("ours", busy))
	}
	fmt.Fprintf(w, "\nserver CPU: user + system time of every server process during the load (/proc/PID/stat, 10 ms ticks);\n"+
		"tool CPU: the benchmark tool's; CPUs busy: both together over the load's wall time and all %d CPUs.\n", runtime.NumCPU())
	fmt.Fprintf(w, "\nget: --consistency l, a linearizable Range (etcd: a ReadIndex round first); get-s: --consistency s,\n"+
		"a serializable Range, from the member's local store on both sides.\n")
	if cfg.serverPkg == chapters["03"].pkg {
		fmt.Fprintf(w, "\nThe get line compares different guarantees: chapter 03 serves every Range from the member's local\n"+
			"store, without ReadIndex (not linearizable across members: chapter 04 adds it), while etcd's\n"+
			"--consistency l does a ReadIndex through the leader first. get-s is the like-for-like read.\n")
	}
	if cfg.seqPut {
		fmt.Fprintf(w, "\nput-seq: one client on one connection, each put sent once the previous one is answered: the latency\n"+
			"of one write through the whole path, with nothing to batch it with.\n")
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// cpuBusy samples /proc/stat over d and returns the share of all CPUs' time that was not idle:
// what other work on the machine uses right before or after the run, while no server of ours runs
// (the load average would still count a run that ended a minute ago). It returns -1 where /proc/stat cannot be read.
func cpuBusy(d time.Duration) float64 {
	s0, ok0 := readCPUStat()
	time.Sleep(d)
	s1, ok1 := readCPUStat()
	if !ok0 || !ok1 || s1.total <= s0.total {
		return -1
	}
	return 1 - float64(s1.idle-s0.idle)/float64(s1.total-s0.total)
}

// cpuStat is the CPU time of all the machine's CPUs so far, in USER_HZ ticks: idle (idle and
// iowait) and the total of every column of the first line of /proc/stat.
type cpuStat struct{ idle, total uint64 }

// parseCPUStat reads the first line of /proc/stat, "cpu  user nice system idle iowait irq
// softirq steal ..." (proc(5)); false if it is not one.
func parseCPUStat(text string) (cpuStat, bool) {
	var st cpuStat
	line, _, _ := strings.Cut(text, "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return st, false
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return st, false
		}
		st.total += n
		if i == 3 || i == 4 { // idle, iowait
			st.idle += n
		}
	}
	return st, true
}

func readCPUStat() (cpuStat, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}, false
	}
	return parseCPUStat(string(b))
}

// busySince is the CPU time all CPUs spent on anything but idling between then and st.
func (st cpuStat) busySince(then cpuStat) time.Duration {
	busy := (st.total - st.idle) - (then.total - then.idle)
	return time.Duration(busy) * time.Second / userHZ
}

// userHZ is the unit of /proc/stat's times: USER_HZ, 100 on every Linux Go runs on.
const userHZ = 100

// otherCPU is the CPU time the machine spent during a load on anything but the server's processes
// and the tool: other people's work, which makes a sample noisy.
func otherCPU(before, after cpuStat, serverCPU, toolCPU time.Duration) time.Duration {
	return max(0, after.busySince(before)-serverCPU-toolCPU)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "CPU model unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "CPU model unknown"
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return runtime.GOOS
	}
	return runtime.GOOS + " " + strings.TrimSpace(string(b))
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

// depVersions names the versions of the given modules that bin was built with.
func depVersions(bin string, mods ...string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "(build info unreadable: " + err.Error() + ")"
	}
	var parts []string
	for _, m := range mods {
		for _, d := range append([]*debug.Module{&info.Main}, info.Deps...) {
			if d.Path == m {
				parts = append(parts, fmt.Sprintf("%s %s", d.Path, d.Version))
			}
		}
	}
	return strings.Join(parts, ", ") + " (" + info.GoVersion + ")"
}
