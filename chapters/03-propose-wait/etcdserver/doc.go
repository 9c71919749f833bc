// Package etcdserver is EtcdServer with raft between the client and the store: every write is
// proposed, committed by a majority, applied on every member in log order, and only then answered.
//
// Layer: EtcdServer and raftNode (chapter 03). Corresponds to etcd v3.6
// server/etcdserver/v3_server.go (RaftKV, raftRequest, processInternalRaftRequestOnce),
// server/etcdserver/server.go (EtcdServer, Start, run, applyAll, applyEntryNormal, Process,
// parseProposeCtxErr, updateLeadership, leaderChanged, firstCommitInTerm, applyWait),
// server/etcdserver/bootstrap.go (bootstrap: a new cluster or a restart, decided from what is
// saved), server/etcdserver/raft.go (raftNodeConfig, raftNode, its Ready loop),
// server/storage/storage.go (the Storage interface) and server/etcdserver/cindex (the consistent
// index). The apply itself is chapter 02's applier chain (package apply, over package txn), with
// chapter 02's alarm store, and the store is chapter 02's mvcc, all unchanged.
//
// Alarms go through raft as in etcd (v3_server.go Alarm, an InternalRaftRequest with alarm set):
// every member applies a raised NOSPACE and caps its applier, so no member takes a put. A write
// the quota refuses at apply time raises the member's own alarm through raft before it is
// answered (raiseNoSpace, etcd's applyEntryNormal). Defragment is local to the member, as in
// etcd: free pages are no business of the log.
//
// Files, one role each: config.go (ServerConfig and the options later chapters plug in with),
// bootstrap.go (backend, storage and raft's starting state), storage.go (Storage and MemoryLog),
// raft.go (the Ready loop), server.go (wiring, signals, accessors), propose.go and v3_server.go
// (the request side), apply.go and apply_entry.go (the apply loop), proposeerr.go (why a proposal
// timed out).
//
// A write, in order: kvServer → EtcdServer.Put → raftRequest → processInternalRaftRequestOnce
// (gap check, request ID, marshal, size check, wait.Register, raft Propose) → raft replicates
// and commits → raftNode hands the committed entries to the apply loop → applyAll →
// applyEntryNormal (unmarshal, apply to the store) → one Sync for the batch → wait.Trigger →
// the proposer returns the result.
//
// Left out: the WAL and snapshots (the Storage is a MemoryLog, lost with the process, so the
// server cannot restart from a data dir: NewServer refuses one; snapshot.go has the mechanics of
// etcd's snapshot, compactRaftLog, createMergedSnapshotMessage and applySnapshot behind the
// Snapshots seam, which chapter 06 fills), membership changes after start,
// leases, auth, the leader's send-before-persist optimisation, and metrics. Reads are
// served from the local store unless a read barrier is given (WithLinearizableReadNotify), so a
// partitioned follower answers stale values: chapter 04's job.
//
// Seams for chapter 04's ReadIndex: the read barrier given at construction
// (WithLinearizableReadNotify, also behind LinearizableReadNotify), ReadIndex and ReadStates (raft's
// read index and its answers, etcd's raftNode.readStateC), ApplyWait, LeaderChangedNotify and
// FirstCommitInTermNotify; seams_test.go tests each.
//
// Workshop exercises: ProposeWait (processInternalRaftRequestOnce) and ApplyTrigger
// (applyEntryNormal); the wait registry itself is pkg/wait's exercise.
package etcdserver
