// Package mvcc is etcd's multi-version key-value store: every write creates a new store revision,
// every revision of every key stays readable until compaction, and each write request's changes
// share one revision (main) numbered inside it (sub).
//
// Layer: storage (chapter 02; chapter 03 applies raft entries to it unchanged). Corresponds to
// etcd v3.6 server/storage/mvcc: revision.go (Revision and its bbolt key encoding, tombstone
// mark), key_index.go (keyIndex and its generations: put, tombstone, get, compact), index.go
// (treeIndex on google/btree), kvstore.go (store: restore at start, Compact, physical compaction
// from kvstore_compaction.go), kvstore_txn.go (storeTxnRead, storeTxnWrite, rangeKeys).
//
// What differs: reads run at the newest durable revision and read bbolt's committed state, unless
// the backend has BufferedReads (chapter 06, where the WAL makes writes durable): then they run at
// the current revision through the backend's read buffer, as etcd's always do; a write
// transaction's End waits for durability unless DeferSync is set (chapter 03). Left out: watch
// (watchable_store.go), leases, hashes, metrics, and the pause between batches of physical
// compaction.
//
// Workshop exercise: Compaction (key_index_compact.go).
package mvcc
