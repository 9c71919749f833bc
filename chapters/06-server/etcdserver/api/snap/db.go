package snap

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

var ErrNoDBSnapshot = errors.New("snap: snapshot file doesn't exist")

// SaveDBFrom saves the bbolt file read from r as "<id>.snap.db", id being the index of the raft
// snapshot it goes with, and returns the bytes read. This is how a follower receives the
// leader's db: the transport streams it here before it hands the MsgSnap to raft, so by the time
// raft (and then the WAL) knows of the snapshot, its db is durably on disk.
//
// If the file already exists (an earlier receive of the same snapshot got as far as the rename
// and then crashed), it is kept and the new copy dropped; the directory is synced again, since
// that crash may have come before the rename was made durable.
func (s *Snapshotter) SaveDBFrom(r io.Reader, id uint64) (int64, error) {
	name := dbName(id)
	tmp, n, err := s.writeTemp(name, func(w io.Writer) (int64, error) { return io.Copy(w, r) })
	if err != nil {
		return n, err
	}
	if exist(filepath.Join(s.dir, name)) {
		os.Remove(tmp)
		return n, s.fsyncDir()
	}
	if err := s.publish(tmp, name); err != nil {
		s.lg.Warn("failed to save database snapshot", "path", filepath.Join(s.dir, name), "error", err)
		return n, err
	}
	s.lg.Info("saved database snapshot to disk", "path", filepath.Join(s.dir, name), "bytes", n)
	return n, nil
}

// DBFilePath returns the path of the db saved for snapshot index id, or ErrNoDBSnapshot. An
// error reading the directory itself is returned as it is: it is not "no such snapshot".
func (s *Snapshotter) DBFilePath(id uint64) (string, error) {
	if _, err := readDirNames(s.dir); err != nil {
		return "", err
	}
	path := filepath.Join(s.dir, dbName(id))
	if exist(path) {
		return path, nil
	}
	s.lg.Warn("failed to find [SNAPSHOT-INDEX].snap.db", "snapshot-index", id, "snapshot-file-path", path)
	return "", ErrNoDBSnapshot
}

func dbName(id uint64) string { return fmt.Sprintf("%016x%s", id, dbSuffix) }
