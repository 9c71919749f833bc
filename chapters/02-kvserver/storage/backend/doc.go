// Package backend is the bbolt database under the MVCC store, with etcd's single shared batch
// write transaction and, since there is no WAL yet, group commit for durability.
//
// Layer: storage (chapter 02). Corresponds to etcd v3.6 server/storage/backend/backend.go
// (Backend, BackendConfig, ForceCommit, Size, SizeInUse, Defrag and defragdb, the committer loop
// backend.run),
// batch_tx.go (the batch tx, its Unsafe* methods and its count of pending writes), read_tx.go and
// hooks.go, and the bucket names of server/storage/schema/bucket.go.
//
// # Commit policy
//
// Open uses this chapter's policy: the batch is committed when a writer waits for it
// (WaitCommit), and the writers that arrive during one fsync share the next one. Readers read only
// committed data, which here is also durable data, so no read buffer is needed.
//
// New takes etcd's other two triggers as BackendConfig fields: BatchInterval (a timer in the
// committer, etcd's --backend-batch-interval, default 100ms) and BatchLimit (a commit in the
// Unlock that fills the batch, etcd's --backend-batch-limit, default 10000 writes, counted per
// UnsafePut and UnsafeDelete). Both add to commit-on-wait: WaitCommit is served at once under
// every policy.
//
// # The plan for chapter 06
//
// Chapter 06 adds the WAL, and with it etcd's policy:
//   - It opens the backend with New(BackendConfig{BatchInterval: DefaultBatchInterval,
//     BatchLimit: DefaultBatchLimit}) (or the values of its flags).
//   - Writers stop waiting for the bbolt commit: the WAL has made an entry durable before it is
//     applied, so bbolt's commit only bounds how much the WAL must replay after a crash. The store
//     already offers that switch (mvcc's DeferSync, without the Sync after it).
//   - Readers must then see writes that are acknowledged but not yet committed, or a client could
//     read older data than it was told was written. etcd does this with a read buffer:
//     tx_buffer.go (txWriteBuffer collects the batch's writes; at Unlock they are written back
//     into the txReadBuffer), read_tx.go (readTx and concurrentReadTx look in the buffer before
//     bbolt and merge the two in a range) and batch_tx.go (batchTxBuffered, which resets the buffer
//     at each commit, under the same lock that starts the next bbolt read transaction).
//
// The read buffer is not built yet. It is more than a small addition: Get and ForEach would merge
// a sorted buffer with bbolt, ReadTx would have to copy the buffer and begin its bbolt transaction
// atomically with respect to commits, and mvcc would have to read at its current revision instead
// of the durable one (today Store.Read reads at durableRev, which the PostCommit hook advances).
// So the read side is a seam chapter 06 still needs, in backend and in mvcc.
//
// Also for chapter 06: a commit that fails is reported to the writers waiting for that batch, and
// under the interval or the limit there may be none; etcd stops the process when a batch commit
// fails (batchTx.commit), and chapter 06 must treat a failed commit as fatal too.
//
// Defrag copies the database into a new file without its free pages and swaps it in, with writers
// and readers held off meanwhile, as etcd's does: deleting and compacting free pages inside the
// file, but only a defragmentation shrinks Size, which is what the quota is checked against.
//
// Snapshot and ReplaceWith (snapshot.go) are the seam for chapter 06's snapshots: a consistent
// copy of the committed database for a leader to send (etcd's backend.Snapshot), and the
// received copy put in place of a follower's file (etcd's openSnapshotBackend).
//
// Left out: hashing, metrics.
package backend
