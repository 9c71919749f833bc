// Package backend is the bbolt database under the MVCC store, with etcd's single shared batch
// write transaction and, since there is no WAL yet, group commit for durability.
//
// Layer: storage (chapter 02). Corresponds to etcd v3.6 server/storage/backend/backend.go
// (Backend, ForceCommit, Size, SizeInUse), batch_tx.go (the batch tx and its Unsafe* methods),
// read_tx.go and hooks.go, and the bucket names of server/storage/schema/bucket.go.
//
// What differs: etcd commits the batch every 100ms (or after 10000 writes) and lets the WAL make
// writes durable; here a writer waits for the commit carrying its write (WaitCommit), and the
// committer commits as soon as someone waits, so all writers that arrive during one fsync share the
// next one. etcd's read buffer of uncommitted writes (txReadBuffer) is not needed: readers read only
// committed, durable data. Left out: defragmentation, snapshots, hashing, metrics.
package backend
