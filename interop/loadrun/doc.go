// Loadrun measures a chapter server against the real etcd v3.6.16, on the same machine, in the same
// run, with the same client: etcd's own benchmark tool (tools/benchmark, pinned as a tool in
// interop/go.mod). The ratio ours/etcd it prints is what docs/benchmarks.md reports.
//
// Run it from the repository root (or `go run .` in this directory):
//
//	go run ./interop/loadrun                 # chapter 02 against one etcd: about a minute and a half on 2 cores
//	go run ./interop/loadrun -chapter 03     # chapter 03's three members against a three-member etcd
//	go run ./interop/loadrun -chapter 04     # the same with chapter 04's (ReadIndex): about 3 minutes
//	go run ./interop/loadrun -chapter 06     # three etcdwalk processes against three etcd processes, and the memory phase
//	go run ./interop/loadrun -chapter 06 -rounds 0   # the memory phase alone: about a minute and a half
//	go run ./interop/loadrun -rounds 1 -put-total 2000 -get-total 5000 -get-s-total 5000   # a quick smoke run
//	go run ./interop/loadrun -client-bench   # chapter 05's client against etcd's client/v3: about 2 minutes
//
// # What one run does
//
//  1. go build the three binaries from the interop module, without the race detector: real etcd
//     (go.etcd.io/etcd/server/v3), etcd's benchmark tool, and the chapter's cmd/server (-chapter
//     02 by default; -server to pick another server of the same kind; with -chapter 06
//     chapter 06's cmd/etcdwalk).
//  2. For each round, for each server (etcd first in odd rounds, ours first in even ones, so that
//     neither always runs on a warmer or cooler machine): start it alone on free 127.0.0.1 ports
//     with fresh data directories, and wait until every member answers a Get (and, for three
//     members, every member names the same leader). Building, starting, readiness and stopping
//     are package proc's, the same code the interop tests run. With -chapter 02 that is one
//     etcd process and chapter 02's server; with -chapter 03 or 04 three etcd processes (one
//     member each, --initial-cluster naming all three) and that chapter's server, whose three
//     members share one process and an in-memory network. With -chapter 06 both sides are three
//     processes, one member each, started by the same code with the same flags (etcdwalk takes
//     etcd's flags), only the binary differs; ours must exit with status 0 on SIGTERM. Then,
//     with --endpoints listing every member's client URL (the tool opens its connections to them
//     in turn):
//     - with -chapter 06 only, first a put-seq load: benchmark --conns 1 --clients 1 put with the
//     put load's flags and --total P (one put at a time: the latency of one write);
//     - put load: benchmark --conns 10 --clients 50 put --val-size 256 --key-size 8
//     --sequential-keys --key-space-size 10000 --total N (50 goroutines share 10 gRPC
//     connections round-robin; the keys cycle through a fixed space of 10000);
//     - get load: one key put beforehand with a 256-byte value, then benchmark --conns 10
//     --clients 50 range KEY --consistency l --total M (linearizable gets);
//     - get-s load: the same key, benchmark --conns 10 --clients 50 range KEY --consistency s
//     --total S (serializable gets: the member's local store, no ReadIndex);
//     then stop it (a server that has to be killed, or of ours that exits with a status other
//     than 0, ends the run) and delete its data directories. Only one server runs at a time.
//  3. With -chapter 06, the memory phase (-memory-total 0 leaves it out, -rounds 0 runs it
//     alone): for each side, etcd first, a fresh cluster takes benchmark --conns 10 --clients 50
//     put --val-size 4096 --sequential-keys --key-space-size 40000 --total 40000 (40,000 puts of
//     4 KiB, each to a key of its own; both sides with the default --snapshot-count 10000 and
//     --snapshot-catchup-entries 5000), while every member's /proc/PID/status is read each 250
//     ms. Right after the load it notes each member's VmHWM (its peak RSS), RssAnon and RssFile,
//     whether it leads, and the sizes of its db and WAL and its .snap files, and prints them with
//     the ratio of the largest peak RSS of ours to etcd's.
//  4. Print the machine, the commit measured, every round's numbers, the median over rounds of
//     throughput, p50 and p99 latency for each server, and the ratios ours/etcd, as Markdown
//     tables ready for docs/benchmarks.md. Also the CPU time per request of the server's
//     processes (from /proc/PID/stat before and after each load) and of the benchmark tool, and
//     how busy both kept the CPUs: it tells a server that runs out of CPU from one that waits.
//
// # The client comparison (-client-bench)
//
// It measures clients, not servers: chapter 05's client (etcdwalk/chapters/05-client/client/v3)
// against etcd's (go.etcd.io/etcd/client/v3 v3.6.16), both running the Go benchmarks of
// etcdwalk/chapters/05-client/pkg/clientbench (sequential and parallel put, linearizable get,
// serializable get) against the same real etcd.
//
//  1. Build real etcd, and with `go test -c` the test binaries of the two benchmark packages:
//     chapter 05's client/v3 (its bench_test.go) and interop/clientbench (etcd's client; it
//     cannot share a binary with ours).
//  2. Start one three-member real etcd, as -chapter 03 does, and keep it for the whole run.
//  3. For each of -bench-count rounds, run both binaries in turn (ours first in odd rounds) with
//     the flags of `go test -run XXX -bench . -benchmem -count 1 -benchtime T` and the
//     endpoints in ETCDWALK_BENCH_ENDPOINTS. Rounds of one run each, rather than one -count N
//     run of each package, so that neither client always meets the fuller database or the warmer
//     machine.
//  4. Parse ns/op, B/op, allocs/op and cpu-ns/op (the benchmark process's CPU time per op) and
//     print every round and the medians: the throughput ratio clientv3 ns/op ÷ ours ns/op, and
//     the allocations of each, against the goals of 0.9–1.1× and no more allocations than
//     clientv3.
//
// Any request error, a server that does not start, or a benchmark tool that fails ends the run
// with a non-zero exit status and the end of the server's log.
//
// The tool's version: the module proxy serves etcd's root module (go.etcd.io/etcd/v3, home of
// tools/benchmark) only up to v3.6.8, not v3.6.16. The tool's source is v3.6.8's, but it is built
// in the interop module, so the client library it links (client/v3, pkg/v3/report) is v3.6.16,
// the same as everything else here.
package main
