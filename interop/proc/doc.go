// Package proc builds and runs the servers the interop checks talk to, each as a child process:
// our chapter servers, real etcd v3.6.16 (one member, or a cluster of one process per member),
// and the tools that go with them (etcdctl, etcd's benchmark tool). It is the one process
// manager of the interop module: package harness adapts it to tests, loadrun uses it directly.
// It does not import package testing; every call returns an error instead.
//
// Separate processes are not a choice: every chapter registers etcd's proto names
// ("etcdserverpb.RangeRequest", ...) from its own generated packages, etcd's client and server
// register them from go.etcd.io/etcd/api/v3, and one Go binary refuses a name registered twice.
//
// # What it offers
//
//   - Builder compiles a main package once per Builder (with or without -race), inside the
//     interop module, so that interop/go.mod pins etcd's version and the go.work workspace
//     resolves the chapters.
//   - Builder.BuildTest compiles a package's test binary (go test -c) the same way.
//   - Start runs a binary from a Spec and waits until it is ready: a clientv3 Get succeeds on
//     every endpoint and, if asked, every endpoint names the same leader.
//   - StartServer starts a chapter server on free ports: one member, or a whole cluster in one
//     process. StartCluster starts one process per member with etcd's clustering flags
//     (--initial-cluster and the rest), real etcd with EtcdCluster's config; every member can be
//     stopped, killed and restarted on its own.
//   - Process.Stop (SIGTERM, then SIGKILL after a timeout), Process.Kill (SIGKILL: a crash),
//     Process.Restart (same binary, arguments, data directory and ports) and
//     Process.RestartRefused (for a server expected to refuse its old data).
//   - Process.KilledElsewhere accepts as down a process another program killed with SIGKILL on
//     purpose (a test binary that kills a member during its own failover test), so that it can
//     be restarted; a process that died any other way stays a finding.
//   - Every run writes its output to a file of its own (Process.Logs), and errors about a
//     process carry the end of it (LogTails).
//
// # What it promises
//
// Every wait has a deadline (Timeouts, or the caller's context): a server that never becomes
// ready, or ignores SIGTERM, is an error, never a hang. A start that fails half-way stops what it
// had started, and after Stop no process and no goroutine of this package is left. A start
// whose port was taken between choosing and binding it (FreePorts can only choose) is tried
// again on new ports. On Linux, children are killed when their parent dies.
//
// # What it leaves out
//
// It runs processes on 127.0.0.1 over plain HTTP only: no TLS, no authentication, no remote
// hosts. It does not change a cluster's membership (member add or remove) and knows nothing of
// network partitions or slowed disks: a fault is a stopped or killed process. Readiness is the
// client's view (a Get answers, a leader is known), not a check of the server's internals.
// Removing data directories and the Builder's directory is the caller's business.
package proc
