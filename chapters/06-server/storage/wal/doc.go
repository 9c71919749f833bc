// Package wal is chapter 06's write-ahead log: the storage layer under raftNode where a member
// makes raft's hard state and entries durable before it acts on them, and where it finds them
// again when it restarts. It rebuilds etcd v3.6's server/storage/wal:
//
//   - wal.go: WAL, Create, Open, ReadAll, Save, SaveSnapshot, Sync, ReleaseLockTo, Close, the
//     segment cut (cut) and the record types metadataType, entryType, stateType, crcType,
//     snapshotType, with etcd's values;
//   - encoder.go, decoder.go and record.go: the framing. A frame is a little-endian 8-byte
//     length word, then the record, padded to a multiple of 8 bytes; the pad size is in the
//     length word's top byte (0x80|pad), as etcd's encodeFrameSize puts it. Every record's CRC
//     (crc32 Castagnoli) continues the previous record's, across segments, and each segment
//     starts with a crcType record that carries the running CRC;
//   - repair.go: Repair, and badFrame, which tells a torn tail from corruption;
//   - file_pipeline.go: the next segment file, created and sized ahead of the cut;
//   - util.go: segment names (%016x-%016x.wal: sequence number, index of the first entry),
//     Exist, searchIndex, isValidSeq.
//
// OpenAndRepair is etcd's restart loop from server/etcdserver/bootstrap.go
// (openWALFromSnapshot): ReadAll, and on a torn tail Repair once and read again.
//
// # Torn tails and corruption
//
// A crash can leave the write it interrupted half on disk. That write was never acknowledged
// (its fsync never returned), so cutting it off loses nothing raft was promised: ReadAll then
// answers a wrapped io.ErrUnexpectedEOF, and Repair truncates the last segment after its last
// valid record, keeping the segment as it was in NAME.broken. Anything else is a
// *CorruptError naming the segment and the offset of the bad frame, and nothing repairs it: a bad
// frame in a segment before the last (a cut synced it whole), or a record whose CRC does not
// match although the record after it continues its stored CRC (the log went on past it, so its
// data was damaged after it was written, and the records after it were acknowledged). etcd
// decides the same question with a check for zeroed sectors (isTornEntry); this package looks at
// the next record instead, and, where etcd takes a zero length word for the end of any segment,
// takes it for the end only when nothing but zeros follows it.
//
// # Durability
//
// Save fsyncs when raft.MustSync says so (entries, or a new term or vote), SaveSnapshot and a
// cut always. The fsync is WAL.syncFunc, a copy of the package's syncFunc taken at Create or
// Open, so that tests can fail it. A failed write or fsync is returned, and every later call
// returns it again: after a failed fsync the kernel may have dropped the pages, and a later
// fsync that succeeds says nothing about them.
//
// # What is left out
//
// No walpb protobuf: a record is encoded by hand (type, CRC, data), and the snapshot marker is
// Snapshot{Index, Term} without etcd's ConfState. No flock: etcd locks every segment it holds,
// so that the purge loop deletes only released ones; here ReleaseLockTo only forgets the older
// segments, and Names lists those still held. No metrics, no logger, no version records
// (version.go), no OpenForRead, Verify or ValidSnapshotEntries, no unsafe no-fsync mode.
// Segments are preallocated with a truncate (a sparse file), not fallocate. The decoder reads
// one segment at a time into memory rather than through a buffered reader. Repair returns an
// error where etcd returns a bool.
//
// # How it plugs into chapter 03
//
// Chapter 03's etcdserver.Storage is what a WAL and a snapshotter do together, and a later step
// writes the adapter: Save is WAL.Save; SaveSnap saves the snapshot file, then
// WAL.SaveSnapshot(Snapshot{Index: snap.Metadata.Index, Term: snap.Metadata.Term}); Release is
// WAL.ReleaseLockTo(snap.Metadata.Index) and the snapshotter's release; Sync and Close are the
// WAL's. The etcdserver.StorageOpener looks at Exist(waldir): without a WAL it calls
// Create(waldir, metadata) and answers an empty SavedLog; with one it loads the newest
// snapshot, calls OpenAndRepair(waldir, Snapshot{Index, Term}) with it, and answers
// SavedLog{Exists: true, Snapshot, HardState, Entries}. Nothing in chapter 03 changes.
package wal
