// Command server runs chapter 04's etcd: chapter 03's in-process cluster, whose members serve
// every read that is not serializable only after a ReadIndex round, so that a follower never
// answers stale.
//
//	go run ./cmd/server --trace       # members on :2379, :22379 and :32379
//	etcdctl --endpoints=http://127.0.0.1:2379 put foo bar
//	etcdctl --endpoints=http://127.0.0.1:32379 get foo                          # linearizable
//	etcdctl --endpoints=http://127.0.0.1:32379 get foo --consistency=s          # serializable
//
// Layer: the process around the members (chapter 04). It is chapter 03's cluster.Command with
// chapter 04's NewServer: the same flags (--name, --data-dir, --listen-client-urls,
// --heartbeat-interval, --election-timeout, the limits, --trace), the same refusal of a data
// directory left by an earlier run. With --trace, a linearizable read's trace shows the step
// "agreement among raft nodes before linearized reading" with its duration, the round's
// read_index, and reads_in_round, how many reads that one ReadIndex served.
package main
