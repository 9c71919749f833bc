// Package clientbench holds the benchmarks of etcd's own client (go.etcd.io/etcd/client/v3
// v3.6.16, as interop/go.mod pins it): the bodies of etcdwalk/chapters/05-client/pkg/clientbench,
// which chapter 05's client runs too (its client/v3/bench_test.go), through one etcd client made
// with the same options. The package has no code but its benchmarks, in bench_test.go.
//
// The benchmarks need a running server, named by ETCDWALK_BENCH_ENDPOINTS (comma-separated client
// URLs); without it they fail and say so. `make bench` (go run ./interop/loadrun -client-bench)
// starts a three-process real etcd, sets the variable, and runs these benchmarks and chapter
// 05's in turn against it; docs/benchmarks.md reports the ratios. By hand:
//
//	ETCDWALK_BENCH_ENDPOINTS=http://127.0.0.1:2379 go test -run XXX -bench . -benchmem ./interop/clientbench
//
// Layer: interop (etcd's client, so it cannot share a binary with our chapters' protos). It
// corresponds to no etcd file: etcd's benchmark tool (tools/benchmark) sends the same loads, but
// as a program, not as Go benchmarks that report allocations.
package clientbench
