package etcdserver

import (
	"errors"
	"slices"
	"sync"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Storage is where raftNode makes raft's state durable before it acts on it (etcd's
// storage.Storage, server/storage/storage.go): the hard state and new entries of every Ready, and
// snapshots. raft.MemoryStorage is raft's working copy of the log; Storage is what outlives the
// process. Chapter 03's is MemoryLog; chapter 06 plugs in a WAL. Every error is fatal to the
// member, as in etcd: raft has been told the state is saved, so the member must not go on.
type Storage interface {
	// Save makes the hard state and the entries durable. Entries may overwrite a suffix of those
	// saved before (a new leader's log replaces an old leader's uncommitted tail).
	Save(st raftpb.HardState, ents []raftpb.Entry) error
	// SaveSnap records a snapshot that raft is about to apply.
	SaveSnap(snap raftpb.Snapshot) error
	// Release frees what snap makes unnecessary (older snapshots, log before it).
	Release(snap raftpb.Snapshot) error
	// Sync flushes what Save and SaveSnap wrote.
	Sync() error
	Close() error
}

// SavedLog is what a member finds of its raft log when it starts (etcd's bootstrappedWAL): nothing
// for a member that never ran, or the snapshot, hard state and entries it saved before it stopped.
type SavedLog struct {
	Exists    bool // etcd's haveWAL: bootstrap restarts the member instead of starting a new one
	Snapshot  raftpb.Snapshot
	HardState raftpb.HardState
	Entries   []raftpb.Entry
}

// StorageOpener opens a member's Storage at start, with what it saved in an earlier run. It is
// the seam where bootstrap learns "new member or restart": chapter 03 keeps the log in memory
// (MemoryLog.Opener), chapter 06 opens a WAL in the data directory.
type StorageOpener func(cfg *ServerConfig) (Storage, SavedLog, error)

// ErrStorageClosed is what a MemoryLog answers once closed.
var ErrStorageClosed = errors.New("etcdserver: storage closed")

// MemoryLog is a Storage kept in memory. It stands in for the WAL: a member given the same
// MemoryLog after another one stopped restarts from it, as a member restarts from its WAL, so
// chapter 03 can test the restart path that chapter 06 makes real. A process exit loses it.
type MemoryLog struct {
	mu      sync.Mutex
	saved   SavedLog
	open    bool
	failErr error // for tests: every Save fails with it
}

func NewMemoryLog() *MemoryLog { return &MemoryLog{} }

// Opener returns a StorageOpener that opens l: empty the first time, then what the last member
// that used it saved. Only one member may have it open at a time.
func (l *MemoryLog) Opener() StorageOpener {
	return func(*ServerConfig) (Storage, SavedLog, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.open {
			return nil, SavedLog{}, errors.New("etcdserver: the memory log is in use by another member")
		}
		l.open = true
		saved := l.saved
		saved.Entries = slices.Clone(saved.Entries)
		return l, saved, nil
	}
}

// NewMemoryStorage is the default StorageOpener: a fresh MemoryLog for every start, so a member
// always starts as a new one.
func NewMemoryStorage(cfg *ServerConfig) (Storage, SavedLog, error) {
	return NewMemoryLog().Opener()(cfg)
}

func (l *MemoryLog) Save(st raftpb.HardState, ents []raftpb.Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !l.open:
		return ErrStorageClosed
	case l.failErr != nil:
		return l.failErr
	}
	if !raft.IsEmptyHardState(st) {
		l.saved.Exists = true
		l.saved.HardState = st
	}
	if len(ents) > 0 {
		l.saved.Exists = true
		// Entries from ents[0].Index on replace what was saved there before.
		keep := l.saved.Entries
		for len(keep) > 0 && keep[len(keep)-1].Index >= ents[0].Index {
			keep = keep[:len(keep)-1]
		}
		l.saved.Entries = append(keep, ents...)
	}
	return nil
}

func (l *MemoryLog) SaveSnap(snap raftpb.Snapshot) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.open {
		return ErrStorageClosed
	}
	l.saved.Exists = true
	l.saved.Snapshot = snap
	return nil
}

func (l *MemoryLog) Release(snap raftpb.Snapshot) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.saved.Entries = slices.DeleteFunc(l.saved.Entries, func(e raftpb.Entry) bool { return e.Index <= snap.Metadata.Index })
	return nil
}

func (l *MemoryLog) Sync() error { return nil }

func (l *MemoryLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open = false
	return nil
}

// failSaves makes every later Save fail with err: a disk that died.
func (l *MemoryLog) failSaves(err error) {
	l.mu.Lock()
	l.failErr = err
	l.mu.Unlock()
}
