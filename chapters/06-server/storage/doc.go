// Package storage is chapter 03's raft Storage kept on disk: the WAL for the hard state and
// the entries, the snapshotter for snapshots, side by side in the data directory as etcd lays
// them out (member/wal, member/snap).
//
// Layer: chapter 06's storage, under chapter 03's raft node. Corresponds to etcd v3.6
// server/storage/storage.go (the storage that joins the WAL and the snapshotter) and the WAL half
// of server/etcdserver/bootstrap.go (bootstrapWALFromSnapshot, openWALFromSnapshot: open the WAL
// at the newest snapshot, repair a torn tail once, read what it holds).
//
// It plugs into chapter 03's seams: NewStorage is an etcdserver.Storage and Opener an
// etcdserver.StorageOpener, passed with etcdserver.WithStorage. Chapter 03's bootstrap then
// decides, from what Opener returns, whether the member starts new or restarts, and skips every
// replayed entry the backend has applied already (its consistent index): chapter 03 is not
// changed.
//
// Left out: etcd's check that the newest snapshot file is one the WAL also recorded
// (wal.ValidSnapshotEntries with snap.LoadNewestAvailable): Opener loads the newest snapshot file
// the snapshotter can read. Nothing in chapter 06 takes snapshots yet, so both are always empty;
// the check comes with the snapshot trigger. The WAL's metadata (etcd's member and cluster IDs)
// is written at Create but not checked on open yet.
package storage
