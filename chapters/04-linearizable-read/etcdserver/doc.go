// Package etcdserver is chapter 03's member with linearizable reads (ReadIndex): a Range or
// read-only Txn that is not serializable is served only after this member has applied every
// entry the leader had committed when the read arrived, and the leader has confirmed with a
// quorum that it still leads. A partitioned or lagging follower therefore never answers stale: it
// waits, and fails with etcd's error if it cannot catch up in time.
//
// Layer: the read side of EtcdServer (chapter 04). Corresponds to etcd v3.6
// server/etcdserver/v3_server.go (linearizableReadLoop, requestCurrentIndex, sendReadIndex,
// linearizableReadNotify, the notifier, readIndexRetryTime) and the ReadIndex of go.etcd.io/raft's
// read_only.go (ReadOnlySafe), which this chapter uses as it is.
//
// Seams: EtcdServer embeds chapter 03's *etcdserver.EtcdServer and gives it
// linearizableReadNotify through chapter 03's WithLinearizableReadNotify. The read loop reaches
// raft through chapter 03's ReadIndex and ReadStates, and waits with its ApplyWait,
// LeaderChangedNotify and FirstCommitInTermNotify. Nothing of chapter 03 is changed or copied.
//
// A linearizable read, in order: kvServer.Range → chapter 03's EtcdServer.Range →
// linearizableReadNotify (take the current notifier, wake the loop, wait) → linearizableReadLoop
// (swap in the next notifier, requestCurrentIndex: raft ReadIndex → the leader confirms its
// leadership with a heartbeat round to a quorum → a ReadState with this round's ID) → ApplyWait
// (confirmed index) → notify → Range reads the local store.
//
// Files, one role each: server.go (wiring, Start, Stop), read_notify.go (the read side),
// read_loop.go (the loop and requestCurrentIndex), read_index.go (sendReadIndex), notifier.go
// (one round as its readers see it).
//
// Left out: lease-based reads (raft's ReadOnlyLeaseBased, which etcd does not use either: its
// ReadIndex is always ReadOnlySafe), metrics (etcd counts slow and failed read index rounds), and
// the trace of the loop itself; each read's own trace gets the round's read index and how many
// reads it served.
//
// Workshop exercises: ReadNotify (linearizableReadNotify) and ReadLoop (linearizableReadLoop with
// requestCurrentIndex: batching and matching a ReadState by its ID).
package etcdserver
