// Package etcdserver is EtcdServer for one member without raft: it owns the backend and the MVCC
// store and serves the KV requests kvServer hands it, applying each one directly.
//
// Layer: EtcdServer (chapter 02). Corresponds to etcd v3.6 server/etcdserver/server.go (EtcdServer,
// NewServer's backend and store set-up) and server/etcdserver/v3_server.go (RaftKV and its
// Range, Put, DeleteRange, Txn, Compact). In etcd every write goes through raftRequest: propose,
// wait for the entry to commit and apply, return the applied result. Here the apply happens at
// once, on the caller's goroutine; the RaftKV interface is the seam where chapter 03 puts raft in
// between, reusing the apply layer (package txn) and the store unchanged.
//
// Left out: raft and the WAL, leases, auth, alarms (a request over the quota is refused, but no
// NOSPACE alarm is raised), the corruption checker and metrics.
package etcdserver
