package backend

import (
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Snapshot is a consistent copy of the committed database, as one bbolt read transaction sees it
// (etcd's backend.Snapshot). A leader sends it, whole, to a follower that has fallen too far
// behind to be sent log entries. Close it: while it is open, Defrag and ReplaceWith wait.
type Snapshot struct {
	tx *bolt.Tx
	b  *Backend
}

// Snapshot commits the batch, so that the copy holds every write made before the call, and
// begins the read transaction the copy is taken from.
func (b *Backend) Snapshot() (*Snapshot, error) {
	if err := b.ForceCommit(); err != nil {
		return nil, fmt.Errorf("backend: snapshot: %w", err)
	}
	b.dbMu.RLock()
	tx, err := b.db.Begin(false)
	if err != nil {
		b.dbMu.RUnlock()
		return nil, fmt.Errorf("backend: snapshot: begin read tx: %w", err)
	}
	return &Snapshot{tx: tx, b: b}, nil
}

// Size is the size in bytes of what WriteTo writes.
func (s *Snapshot) Size() int64 { return s.tx.Size() }

// WriteTo writes the database file as the transaction sees it: a complete bbolt file.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) { return s.tx.WriteTo(w) }

// Close ends the read transaction.
func (s *Snapshot) Close() error {
	err := s.tx.Rollback()
	s.b.dbMu.RUnlock()
	return err
}

// ReplaceWith makes the bbolt file at path this backend's database (etcd's
// openSnapshotBackend and recoverSnapshotBackend): a follower that receives a leader's snapshot
// goes on from the leader's db instead of its own. path is renamed over the backend's file, so it
// must be on the same file system (the snap directory next to it is). What was pending in the
// batch is committed to the old file first and lost with it, which is what the follower wants: the
// snapshot supersedes it. The hooks stay; the layers above must reload what they keep in memory
// (mvcc's Store.Restore does).
//
// As Defrag, it holds off writers and readers while it runs. A failure before the rename leaves
// the old file in use; after it, the backend cannot go on, and it panics, as etcd's lg.Fatal.
func (b *Backend) ReplaceWith(path string) error {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closed {
		return ErrClosed
	}
	// Check the new file before anything is closed: a db that bbolt cannot open must not cost the
	// member its own.
	if err := checkDB(path, b.bopts); err != nil {
		return fmt.Errorf("backend: replace with %s: %w", path, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dbMu.Lock()
	defer b.dbMu.Unlock()

	b.commitLocked()
	if b.tx == nil {
		return b.cur.Load().err
	}
	if err := b.tx.Rollback(); err != nil {
		return fmt.Errorf("backend: replace: end the batch: %w", err)
	}
	own := b.db.Path()
	if err := b.db.Close(); err != nil {
		panic(fmt.Sprintf("backend: replace: close %s: %v", own, err))
	}
	if err := os.Rename(path, own); err != nil {
		panic(fmt.Sprintf("backend: replace: rename %s to %s: %v", path, own, err))
	}
	db, err := bolt.Open(own, 0o600, b.bopts)
	if err != nil {
		panic(fmt.Sprintf("backend: replace: open %s: %v", own, err))
	}
	b.db = db
	if err := createBuckets(db); err != nil {
		panic(fmt.Sprintf("backend: replace: %v", err))
	}
	if err := b.beginBatch(); err != nil {
		panic(fmt.Sprintf("backend: replace: %v", err))
	}
	return nil
}

// checkDB opens path read-only and closes it again: is it a bbolt file at all?
func checkDB(path string, bopts *bolt.Options) error {
	opts := *bopts
	opts.ReadOnly = true
	opts.InitialMmapSize = 0
	db, err := bolt.Open(path, 0o400, &opts)
	if err != nil {
		return err
	}
	return db.Close()
}
