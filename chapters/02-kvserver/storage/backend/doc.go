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
// # Chapter 06's policy: the read buffer
//
// Chapter 06 adds the WAL, and with it etcd's policy: its members open the backend with
// BatchInterval and BatchLimit at etcd's defaults and BufferedReads (chapter 03's
// WithBackendBatching), and writers no longer wait for the bbolt commit, since the WAL has made
// a committed entry durable; bbolt's commit only bounds how much the WAL must replay after a
// crash. Readers must then see writes that are applied but not yet committed, or a client could
// read older data than it was told was written. That is the read buffer (read_buffer.go, etcd's
// txReadBuffer in tx_buffer.go and the reads of read_tx.go): the batch's writes to the Key
// bucket are kept sorted next to the bbolt read transaction, a reader takes both together and
// merges them, and a commit empties the buffer only once bbolt holds what it had (etcd's
// batchTxBuffered). mvcc then reads at its current revision instead of the durable one.
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
