// Package harness runs etcdwalk's chapter servers and the real etcd side by side, as separate
// processes, so that tests can send the same requests to both and compare the answers.
//
// It is a thin adapter over package proc, which does the work (building, starting, stopping,
// readiness, logs) and returns errors: here those errors fail the test, every process is stopped
// by t.Cleanup, and a failed test prints the end of each of its processes' output.
//
// # Why separate processes
//
// Every chapter generates its own etcdserverpb and mvccpb packages from etcd's .proto files, with
// etcd's proto package and message names ("etcdserverpb.RangeRequest", ...). etcd's client and
// server register those same names from go.etcd.io/etcd/api/v3. The protobuf registry of one Go
// binary refuses a name registered twice, so no binary may link a chapter's packages together
// with etcd's. The interop module therefore imports only etcd's packages (the official clientv3,
// etcd's generated KVClient) and no chapter package that registers proto names (the one chapter
// package it imports is chapter 03's pkg/lincheck, plain Go over porcupine); our servers are
// built with `go build` and started as child processes, exactly like the real etcd.
//
// # What it offers
//
//   - Build compiles a main package once per `go test` run (our chapter servers from the go.work
//     workspace, etcd and etcdctl v3.6.16 from the versions pinned in interop/go.mod) and returns
//     the binary's path.
//   - BuildTest compiles a package's test binary (go test -c) the same way, for a suite that
//     runs against the servers interop starts (chapter 05's client suite).
//   - StartServer starts a chapter server on a free 127.0.0.1 port; StartCluster starts a chapter
//     server that runs a whole cluster in one process (chapters 03 and 04), one free port per
//     member; StartEtcd starts a fresh single-member etcd with its own data directory, and
//     StartEtcdCluster a real etcd of several members, one process each; StartMembers starts any
//     cluster of one process per member from a proc.ClusterConfig, such as EtcdwalkCluster's
//     (chapter 06's etcdwalk, which takes etcd's flags). All wait until a
//     clientv3 Get succeeds (on every member, and until every member knows the same leader),
//     keep the process's output in a file (printed when the test fails), and stop the processes
//     when the test ends.
//   - Process.Kill (SIGKILL: a crash), Process.Stop (SIGTERM: a clean shutdown) and
//     Process.Restart (the same binary, arguments, data directory and port) let a test take a
//     server, or one member of a StartEtcdCluster, down in the middle and check what it
//     remembers when it comes back; Process.RestartRefused, what it says when it must refuse to
//     come back. Process.Proc and Cluster.Proc give the proc values underneath, for the rest
//     (Pid, Leader, DataDir).
//   - NewClient (clientv3), Dial (a plain gRPC connection for etcd's generated clients) and
//     Etcdctl (the etcdctl binary) talk to either; RunCtl runs any etcdctl-like binary (chapter
//     05's etcdwalkctl) with exactly the arguments and environment given.
//   - NormalizeHeaders and NormalizeJSON blank what legitimately differs between two
//     independent clusters (cluster_id, member_id, raft_term), so whole responses can be compared.
//   - Main is a TestMain that removes the built binaries and checks for leaked goroutines.
//
// Every wait has a deadline: a server that never becomes ready, an etcdctl that never returns or a
// process that ignores SIGTERM fails the test instead of hanging it.
//
// # Adding a later chapter
//
// Write interop/chNN_test.go in package interop_test:
//
//	bin := harness.Build(t, "etcdwalk/chapters/02-kvserver/cmd/server", true)
//	ours := harness.StartServer(t, bin, "--name", "ch02")
//	etcd := harness.StartEtcd(t)
//
// then run the same operations against ours.Endpoint and etcd.Endpoint and require equal
// normalized responses, the way ch01_test.go does. A chapter whose server takes extra flags
// (--data-dir) passes them as args; a server with one client URL per member uses StartCluster; a
// cluster of one process per member that takes etcd's flags is proc.StartCluster's (add a
// harness function next to StartEtcdCluster for it). If a server needs its ports in another way,
// extend proc rather than copying it. Requests a chapter does not support yet belong in a
// TestChapterNNUnsupported that pins down its Unimplemented answer, so the next chapter knows
// what it has to turn on.
package harness
