// Package etcdserver is EtcdServer with raft between the client and the store: every write is
// proposed, committed by a majority, applied on every member in log order, and only then answered.
//
// Layer: EtcdServer and raftNode (chapter 03). Corresponds to etcd v3.6
// server/etcdserver/v3_server.go (RaftKV, raftRequest, processInternalRaftRequestOnce),
// server/etcdserver/server.go (EtcdServer, Start, run, applyAll, applyEntryNormal, Process,
// parseProposeCtxErr), server/etcdserver/raft.go (raftNode, its Ready loop) and
// server/etcdserver/cindex (the consistent index). The apply itself is chapter 02's package txn,
// and the store chapter 02's mvcc, unchanged.
//
// A write, in order: kvServer → EtcdServer.Put → raftRequest → processInternalRaftRequestOnce
// (gap check, request ID, marshal, size check, wait.Register, raft Propose) → raft replicates
// and commits → raftNode hands the committed entries to the apply loop → applyAll →
// applyEntryNormal (unmarshal, apply to the store) → one Sync for the batch → wait.Trigger →
// the proposer returns the result.
//
// Left out: the WAL and snapshots (raft's log is a raft.MemoryStorage, so a member cannot restart
// from its data: NewServer refuses), membership changes after start, leases, auth, alarms, the
// leader's send-before-persist optimisation, and metrics. Reads are served from the local store
// without ReadIndex, so a partitioned follower answers stale values: chapter 04's job.
//
// Workshop exercises: ProposeWait (processInternalRaftRequestOnce) and ApplyTrigger
// (applyEntryNormal); the wait registry itself is pkg/wait's exercise.
package etcdserver
