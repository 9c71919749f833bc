// Command server runs chapter 03's etcd: a cluster of members in one process, connected by an
// in-memory network, each serving etcd's gRPC API on its own client URL; every write goes through
// raft.
//
//	go run ./cmd/server --trace       # members on :2379, :22379 and :32379
//	etcdctl --endpoints=http://127.0.0.1:22379 put foo bar     # through a follower
//	etcdctl --endpoints=http://127.0.0.1:32379 get foo
//
// Layer: the process around the members (chapter 03). --listen-client-urls takes one URL per
// member and so sets how many there are; --data-dir is the parent of the members' directories
// (<data-dir>/infra1, ...). Raft's log is kept in memory, so the members cannot restart from
// their data: the server refuses a data directory left by an earlier run (remove it, or wait for
// chapter 06's WAL). Without --data-dir it uses a temporary directory and removes it at exit.
package main
