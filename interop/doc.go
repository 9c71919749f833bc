// Package interop checks every chapter's server against the real thing: the official etcd client
// (go.etcd.io/etcd/client/v3), etcdctl, and a real etcd v3.6.16 started next to it.
//
// All of it is tests (chNN_test.go, one file per chapter) on top of these packages:
//
//   - proc builds the binaries and runs the servers as separate processes (our chapter servers,
//     real etcd as one member or as a cluster of one process per member): start, stop, kill -9,
//     restart, logs, readiness. It is the one process manager here, and knows nothing of tests.
//   - harness adapts proc to tests (cleanup when the test ends, failure with the servers' output)
//     and adds the clients (clientv3, plain gRPC, etcdctl) and response normalization; its
//     documentation explains why nothing here can share one binary, and how to add a chapter.
//   - loadrun is a command, not a test: etcd's benchmark tool against real etcd and a chapter's
//     server, started with proc, for docs/benchmarks.md.
//   - walkthrough runs the shell blocks of the READMEs as a reader would paste them, against the
//     real servers and the real etcdctl, and compares what they print.
//
// Run it with
//
//	go test -race etcdwalk/interop/...
package interop
