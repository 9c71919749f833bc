// Command etcdwalkctl is a small etcdctl: etcdctl v3.6's put, get, del, txn, compaction,
// member list and endpoint health and status, built on chapter 05's client
// (etcdwalk/chapters/05-client/client/v3) instead of etcd's. It takes etcdctl's flags and
// ETCDCTL_* environment variables, and prints what etcdctl prints, byte for byte: the same
// output in each --write-out format, the same "Error: ..." lines and the same exit statuses.
// Pointed at real etcd or at any chapter's server, it cannot be told from etcdctl by what it
// prints, which is the point: the client underneath is the one this chapter builds.
//
//	go run ./cmd/etcdwalkctl --endpoints=127.0.0.1:2379 put foo bar
//	OK
//	go run ./cmd/etcdwalkctl get f --prefix -w json
//	{"header":{"cluster_id":...,"revision":2,...},"kvs":[{"key":"Zm9v",...}],"count":1}
//	printf 'val("foo") = "bar"\n\nput foo baz\n\nget foo\n\n' | go run ./cmd/etcdwalkctl txn
//	SUCCESS
//
//	OK
//
// # What a command does
//
// Every command runs the same steps, in etcdctl's order, because that order decides which
// error a user sees first: the arguments and the command's flags are checked (a bad one is
// exit status 128); then the ETCDCTL_* variables fill in the global flags the command line left
// unset, --write-out is checked (4 if unknown) and the client is made (2 if it cannot be); then
// the request goes out under --command-timeout, and a failed request is "Error: " and the
// client's error (etcd's own text, "etcdserver: mvcc: required revision has been compacted"),
// status 1; last, the printer of --write-out prints the response.
//
// # Layer and files
//
// The command line above the client (chapter 05). Each file mirrors the etcd v3.6 file of the
// same role in etcdctl/ctlv3: main.go is ctl.go (the command tree and the global flags),
// global.go and env.go are command/global.go and pkg/flags (the client configuration, the
// environment), util.go is command/util.go (Argify, printKV), put_command.go, get_command.go,
// del_command.go, txn_command.go (the txn grammar and ParseCompare), compaction_command.go,
// member_command.go, ep_command.go, version_command.go and completion_command.go are their
// namesakes, printer*.go are the printers (simple, fields, json, protobuf, table), and
// cobrautl.go is pkg/cobrautl (the exit statuses and the help layout). The commands are
// github.com/spf13/cobra commands, as etcdctl's are, so flag errors, unknown commands and
// their suggestions come out as etcdctl's do.
//
// # Where it differs from etcdctl
//
//   - It names itself etcdwalkctl where etcdctl names itself ("Run 'etcdwalkctl --help'",
//     the USAGE line of a help), and the root's help shows its own version and description.
//   - The commands of etcdctl that need what the client or the servers of these chapters do
//     not have (watch, lease, lock, elect, auth, user, role, snapshot, defrag, alarm,
//     move-leader, make-mirror, check, downgrade, member add/remove/update/promote, endpoint
//     hashkv) are there by name, so that help, prefixes and suggestions are etcdctl's, and
//     refuse to run with the reason (status 1).
//   - TLS, authentication and DNS discovery flags are accepted and refused when set (status
//     128): the client speaks plain gRPC only.
//   - Where etcdctl crashes or hangs, it does not: a txn compare with an operator other than
//     =, !=, < and > is a "malformed comparison" (etcdctl panics in clientv3.Compare), a txn
//     line that runs no command ("put --help") is an "invalid txn request" (etcdctl waits
//     forever), and endpoint status of a member that reports a database size of 0 shows 0% not
//     in use (etcdctl divides by zero).
//   - The log lines of the client are written by log/slog, not zap: one JSON object a line
//     starting with {"level":, as zap's, but with other fields.
package main
