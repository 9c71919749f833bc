// Package etcdserver is EtcdServer for one member without raft: it owns the backend and the MVCC
// store and serves the KV requests kvServer hands it, applying each one directly.
//
// Layer: EtcdServer (chapter 02). Corresponds to etcd v3.6 server/etcdserver/server.go (EtcdServer,
// NewServer's backend and store set-up) and server/etcdserver/v3_server.go (RaftKV and its
// Range, Put, DeleteRange, Txn, Compact, Alarm), with Alarms and Defragment from server.go. In
// etcd every write goes through raftRequest: propose, wait for the entry to commit and apply,
// return the applied result. Here the apply happens at once, on the caller's goroutine, through
// the applier chain of package apply; the RaftKV interface is the seam where chapter 03 puts raft
// in between, reusing the applier, the alarm store and the store unchanged.
//
// Alarms: a write the quota refuses raises this member's NOSPACE alarm, at the gRPC layer or, if
// it only stops fitting when applied, here (etcd's applyEntryNormal); from then on the applier
// refuses puts until the alarm is disarmed. An alarm change is durable before it is answered.
//
// Left out: raft and the WAL, leases, auth, the corruption checker (a client may still raise
// CORRUPT, which refuses every write, as in etcd) and metrics.
package etcdserver
