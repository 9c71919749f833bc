package datadir

import "path/filepath"

// ToMemberDir is <data-dir>/member: everything a member keeps.
func ToMemberDir(dataDir string) string { return filepath.Join(dataDir, "member") }

// ToSnapDir is <data-dir>/member/snap: raft snapshots and the backend file.
func ToSnapDir(dataDir string) string { return filepath.Join(ToMemberDir(dataDir), "snap") }

// ToBackendFileName is <data-dir>/member/snap/db: the bbolt file.
func ToBackendFileName(dataDir string) string { return filepath.Join(ToSnapDir(dataDir), "db") }

// ToWALDir is <data-dir>/member/wal: the write-ahead log (etcd's --wal-dir overrides it).
func ToWALDir(dataDir string) string { return filepath.Join(ToMemberDir(dataDir), "wal") }
