// Package snap keeps a member's snapshots on disk: the raft snapshot, one file per snapshot, and
// the bbolt file that goes with it when a leader ships its state to a follower that fell behind.
//
// Layer: snapshots (chapter 06). Corresponds to etcd v3.6
// server/etcdserver/api/snap/snapshotter.go (Snapshotter, New, SaveSnap, Load,
// LoadNewestAvailable, Read, the newest-first scan and the ".broken" rename, cleanupSnapdir,
// ReleaseSnapDBs), db.go (SaveDBFrom, DBFilePath, ErrNoDBSnapshot) and message.go (Message,
// NewMessage, CloseNotify, CloseWithError), with pkg/ioutil/readcloser.go (the exact-size reader
// a Message's db is read through) and one pass of client/pkg/fileutil/purge.go (Purge).
//
// Files, one role each: snapshotter.go (snap files: save, load, release, purge), db.go (the
// .snap.db files), message.go (a MsgSnap with its db), fileutil.go (the temp, fsync, rename,
// fsync-dir write every file goes through).
//
// The directory is etcd's member/snap, and holds:
//
//	0000000000000002-0000000000002710.snap    raft snapshot at term 2, index 10000
//	0000000000002710.snap.db                  the db received for the snapshot at index 10000
//	db                                        the backend (etcd keeps it here; this package only tolerates it)
//	...snap.broken                            a snap file Load could not read, moved aside
//
// A snap file is the crc32 Castagnoli of the marshalled raftpb.Snapshot, 4 bytes little endian,
// then those bytes. Every file is written under a temporary name ending in ".tmp", fsynced,
// renamed to its real name and the directory fsynced: a crash leaves the whole file under its
// name or none, and the temporary file is invisible to Load, which removes it.
//
// Load returns the newest snap file it can read. One it cannot (a CRC mismatch, empty, not a
// snapshot) is renamed "<name>.broken" and the next older one tried, as etcd does.
// LoadNewestAvailable does the same among the snapshots the WAL also records, because etcd saves
// the snap file before the WAL's snapshot record: a crash between the two leaves a snap file
// newer than anything the WAL can be replayed from.
//
// How chapter 06 is meant to use it, with chapter 03's seams unchanged:
//   - The WAL-backed etcdserver.Storage holds a *Snapshotter. Its SaveSnap(snap) calls
//     Snapshotter.SaveSnap first, then writes the WAL's snapshot record and syncs (etcd's
//     storage.go SaveSnap order), so a WAL record never names a missing file. Its Release(snap)
//     releases the WAL's older segments, then calls ReleaseSnapDBs(snap). The server calls Purge
//     now and then (etcd: every 30 s, keeping --max-snapshots, default 5).
//   - The etcdserver.StorageOpener, at bootstrap, reads the WAL's snapshot records, converts them
//     to []WALSnapshot, calls LoadNewestAvailable and puts the result in SavedLog.Snapshot
//     (ErrNoSnapshot: an empty one), then replays the WAL from that snapshot on.
//   - A follower's transport, receiving a MsgSnap, calls SaveDBFrom(body, index) before it hands
//     the message to transport.Raft.Process; when the server applies that snapshot it opens the
//     backend from DBFilePath(index). The leader's transport, seeing a MsgSnap in
//     Transporter.Send, wraps it and a reader over its backend in a Message (etcd's
//     createMergedSnapshotMessage), streams it, and closes it; CloseNotify says whether the
//     follower got it, which becomes raft's ReportSnapshot.
//
// Where it differs from etcd: the snap file's framing is the fixed header above instead of a
// snappb.Snapshot protobuf, so no file here can be read by etcd or the other way round; etcd
// writes snap files in place (pkg/ioutil.WriteAndSyncFile) and only the db through a rename,
// where here both are renamed; Purge is one synchronous pass, not a goroutine; logs go to
// log/slog; WALSnapshot stands in for walpb.Snapshot so the package needs no WAL.
//
// Left out: the snappb protobuf, the snapshot metrics (snapSaveSec, snapFsyncSec, ...), the
// gofail failpoints, file locks while purging, and the backend side (etcd's OpenSnapshotBackend
// renaming a .snap.db to db), which belongs to the server's bootstrap.
package snap
