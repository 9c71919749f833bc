// Package clientbench is the load of the client benchmarks: the same puts, linearizable gets and
// serializable gets, one at a time and from many goroutines sharing one client, for any client
// that can be put behind the two-method KV interface. Chapter 05's client/v3 and etcd's own
// client/v3 (in the interop module) both run these bodies, against the same server, so that
// their ns/op and allocs/op can be compared line by line (docs/benchmarks.md, `make bench`).
//
// It imports neither client: the two cannot share a binary (they register the same proto names),
// so each benchmark package adapts its client to KV and calls Run.
//
// Layer: a test aid of chapter 05. It corresponds to no etcd file; its loads are the ones etcd's
// benchmark tool sends in interop/loadrun (tools/benchmark/cmd/put.go and range.go at v3.6):
// 8-byte keys cycling through a space of 10,000, 256-byte values, gets of one key holding a
// 256-byte value, 50 concurrent clients.
//
// Leaves out: everything but Put and Get (no Txn, Delete, watch or lease load), rate limiting,
// latency percentiles (go test reports the mean, ns/op), and several clients at once: the
// parallel benchmarks share one client, as the goroutines of one program would.
package clientbench
