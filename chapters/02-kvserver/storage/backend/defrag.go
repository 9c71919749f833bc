package backend

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// defragLimit is how many keys Defrag copies per transaction of the new file (etcd's
// defragLimit), so that one copy never holds the whole database in a single bbolt transaction.
const defragLimit = 10000

// Defrag rewrites the database into a new file that holds only the pages in use, and puts it in
// place of the old one (etcd's backend.defrag). bbolt never gives pages back to the file system:
// after deleting and compacting, the file keeps its size, and Size with it, which is what the
// quota is checked against. Only a defragmentation makes a full store fit its quota again.
//
// It stops the world for as long as the copy takes, as etcd's does: it holds the batch lock, so
// writers wait, and it waits for every read transaction to end and lets no new one begin. The
// pending batch is committed first, with the hooks, so waiting writers get their answer.
//
// The copy goes to a temporary file next to the database, opened without the large initial
// mmap, so that bbolt grows it only as far as the data needs (etcd's defrag opens it with
// boltOpenOptions, not the backend's options). A failure before the swap leaves the old file in
// use, unchanged; the temporary file is removed.
func (b *Backend) Defrag() error {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dbMu.Lock()
	defer b.dbMu.Unlock()

	path := b.db.Path()
	temp, err := os.CreateTemp(filepath.Dir(path), "db.tmp.*")
	if err != nil {
		return fmt.Errorf("backend: defrag: %w", err)
	}
	tmpPath := temp.Name()
	tmpdb, err := bolt.Open(tmpPath, 0o600, &bolt.Options{
		Timeout:        b.bopts.Timeout,
		FreelistType:   b.bopts.FreelistType,
		NoFreelistSync: b.bopts.NoFreelistSync,
		OpenFile:       func(string, int, os.FileMode) (*os.File, error) { return temp, nil },
	})
	if err != nil {
		temp.Close()
		os.Remove(tmpPath)
		return fmt.Errorf("backend: defrag: open %s: %w", tmpPath, err)
	}

	// Commit what writers have put into the batch, then end the batch's transaction: the old
	// file must have no transaction open when it is closed.
	b.commitLocked()
	if b.tx == nil { // commitLocked could not begin the next batch: the backend is failing already
		tmpdb.Close()
		os.Remove(tmpPath)
		return b.cur.Load().err
	}
	if err := b.tx.Rollback(); err != nil {
		tmpdb.Close()
		os.Remove(tmpPath)
		return fmt.Errorf("backend: defrag: end the batch: %w", err)
	}
	if err := defragdb(b.db, tmpdb, defragLimit); err != nil {
		tmpdb.Close()
		os.Remove(tmpPath)
		if berr := b.beginBatch(); berr != nil {
			return fmt.Errorf("backend: defrag: %w; and then: %w", err, berr)
		}
		return fmt.Errorf("backend: defrag: %w", err)
	}

	// From here on, the old database is closed. etcd stops the process (lg.Fatal) if any of these
	// steps fails; the file on disk is either the old one or the complete new one, since rename
	// replaces it atomically, so whatever was committed is still there at the next start.
	if err := b.db.Close(); err != nil {
		panic(fmt.Sprintf("backend: defrag: close %s: %v", path, err))
	}
	if err := tmpdb.Close(); err != nil {
		panic(fmt.Sprintf("backend: defrag: close %s: %v", tmpPath, err))
	}
	if err := os.Rename(tmpPath, path); err != nil {
		panic(fmt.Sprintf("backend: defrag: rename %s to %s: %v", tmpPath, path, err))
	}
	db, err := bolt.Open(path, 0o600, b.bopts)
	if err != nil {
		panic(fmt.Sprintf("backend: defrag: open %s again: %v", path, err))
	}
	b.db = db
	if err := b.beginBatch(); err != nil {
		panic(fmt.Sprintf("backend: defrag: %v", err))
	}
	return nil
}

// beginBatch begins the batch's write transaction on b.db. The caller holds mu.
func (b *Backend) beginBatch() error {
	tx, err := b.db.Begin(true)
	if err != nil {
		return fmt.Errorf("begin write tx: %w", err)
	}
	b.tx, b.pending = tx, 0
	return nil
}

// defragdb copies every bucket of odb into tmpdb, in key order, committing every limit keys
// (etcd's defragdb). Keys are written in order into pages filled to 90% instead of bbolt's 50%,
// since nothing will be inserted between them: the new file is as small as it can usefully be.
func defragdb(odb, tmpdb *bolt.DB, limit int) error {
	tx, err := odb.Begin(false)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tmptx, err := tmpdb.Begin(true)
	if err != nil {
		return err
	}
	count := 0
	err = tx.ForEach(func(name []byte, src *bolt.Bucket) error {
		dst, err := tmptx.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		dst.FillPercent = 0.9
		return src.ForEach(func(k, v []byte) error {
			if count++; count > limit {
				if err := tmptx.Commit(); err != nil {
					return err
				}
				if tmptx, err = tmpdb.Begin(true); err != nil {
					return err
				}
				dst = tmptx.Bucket(name)
				dst.FillPercent = 0.9
				count = 1
			}
			return dst.Put(k, v)
		})
	})
	if err != nil {
		if tmptx != nil {
			_ = tmptx.Rollback()
		}
		return err
	}
	return tmptx.Commit()
}
