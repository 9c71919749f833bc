package snap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

const (
	snapSuffix   = ".snap"
	dbSuffix     = ".snap.db"
	brokenSuffix = ".broken"
	// tmpSuffix ends every file this package writes before it is renamed to its real name. No
	// real name ends with it, so a file a crash left half written is never taken for a snapshot.
	tmpSuffix = ".tmp"
	// defragTmpPrefix starts the file the backend's defragmentation writes next to "db" (chapter
	// 02's defrag.go, as etcd's): a crash during a defrag leaves it behind.
	defragTmpPrefix = "db.tmp"
	crcSize         = 4
)

var (
	ErrNoSnapshot    = errors.New("snap: no available snapshot")
	ErrEmptySnapshot = errors.New("snap: empty snapshot")
	ErrCRCMismatch   = errors.New("snap: crc mismatch")

	crcTable = crc32.MakeTable(crc32.Castagnoli)

	// validFiles are the names, besides snapshots, that belong in the snap directory: etcd keeps
	// the backend's bbolt file there as "db".
	validFiles = map[string]bool{"db": true}
)

// WALSnapshot is what the WAL records of a snapshot (etcd's walpb.Snapshot without its
// ConfState): the wiring converts the WAL's records to it, so this package needs no WAL.
type WALSnapshot struct {
	Index uint64
	Term  uint64
}

// Snapshotter keeps raft snapshots, one file each, in a directory, and the bbolt files that go
// with them (db.go). It holds no state but the directory, so its methods may be called from
// several goroutines, except Load and LoadNewestAvailable, which are for bootstrap: they remove
// the temporary files a crash left behind, and would remove those of a save in progress.
type Snapshotter struct {
	lg  *slog.Logger
	dir string
	// fsync flushes a file or the directory to disk; tests replace it to see what is synced,
	// in which order, and that a failure is reported.
	fsync func(f *os.File) error
}

// New returns a Snapshotter over dir, which must exist. A nil lg logs nothing.
func New(lg *slog.Logger, dir string) *Snapshotter {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Snapshotter{lg: lg, dir: dir, fsync: (*os.File).Sync}
}

// SaveSnap writes snapshot to "<term>-<index>.snap". An empty snapshot (raft's "none") is not
// written. When it returns nil the file is on disk under its real name; a crash before that
// leaves at most a temporary file, which Load ignores.
func (s *Snapshotter) SaveSnap(snapshot raftpb.Snapshot) error {
	if raft.IsEmptySnap(snapshot) {
		return nil
	}
	return s.save(&snapshot)
}

func (s *Snapshotter) save(snapshot *raftpb.Snapshot) error {
	data, err := snapshot.Marshal()
	if err != nil {
		return fmt.Errorf("snap: marshal snapshot: %w", err)
	}
	name := snapName(snapshot.Metadata.Term, snapshot.Metadata.Index)
	tmp, _, err := s.writeTemp(name, func(w io.Writer) (int64, error) {
		n, err := w.Write(encode(data))
		return int64(n), err
	})
	if err == nil {
		err = s.publish(tmp, name)
	}
	if err != nil {
		s.lg.Warn("failed to write a snap file", "path", filepath.Join(s.dir, name), "error", err)
		return err
	}
	return nil
}

func snapName(term, index uint64) string {
	return fmt.Sprintf("%016x-%016x%s", term, index, snapSuffix)
}

// encode lays out a snap file: the Castagnoli CRC of data, little endian, then data. etcd wraps
// the same two things in a snappb.Snapshot protobuf; a fixed header needs no schema.
func encode(data []byte) []byte {
	b := make([]byte, crcSize+len(data))
	binary.LittleEndian.PutUint32(b, crc32.Checksum(data, crcTable))
	copy(b[crcSize:], data)
	return b
}

// Load returns the newest snapshot that can be read. A snap file that cannot be is renamed
// "<name>.broken" and the next older one is tried; with none left, the error is ErrNoSnapshot.
func (s *Snapshotter) Load() (*raftpb.Snapshot, error) {
	return s.loadMatching(func(*raftpb.Snapshot) bool { return true })
}

// LoadNewestAvailable returns the newest readable snapshot that walSnaps also holds. The WAL's
// snapshot record is written after the snap file (etcd's storage.SaveSnap), so a crash between
// the two leaves a snap file the WAL does not know, whose log the WAL may not have: bootstrap
// must not start from it.
func (s *Snapshotter) LoadNewestAvailable(walSnaps []WALSnapshot) (*raftpb.Snapshot, error) {
	return s.loadMatching(func(snapshot *raftpb.Snapshot) bool {
		m := snapshot.Metadata
		return slices.Contains(walSnaps, WALSnapshot{Index: m.Index, Term: m.Term})
	})
}

// loadMatching returns the newest readable snapshot that match accepts.
func (s *Snapshotter) loadMatching(match func(*raftpb.Snapshot) bool) (*raftpb.Snapshot, error) {
	names, err := s.snapNames()
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if snapshot, err := s.loadSnap(name); err == nil && match(snapshot) {
			return snapshot, nil
		}
	}
	return nil, ErrNoSnapshot
}

// loadSnap reads one snap file and moves it aside as ".broken" if it is unreadable, so that the
// next start does not trip on it again and an operator can still look at it.
func (s *Snapshotter) loadSnap(name string) (*raftpb.Snapshot, error) {
	path := filepath.Join(s.dir, name)
	snapshot, err := Read(s.lg, path)
	if err != nil {
		broken := path + brokenSuffix
		if rerr := os.Rename(path, broken); rerr != nil {
			s.lg.Warn("failed to rename a broken snap file", "path", path, "broken-path", broken, "error", rerr)
		} else {
			s.lg.Warn("renamed a broken snap file", "path", path, "broken-path", broken)
		}
	}
	return snapshot, err
}

// Read reads the snap file at path and checks its CRC.
func Read(lg *slog.Logger, path string) (*raftpb.Snapshot, error) {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		lg.Warn("failed to read a snap file", "path", path, "error", err)
		return nil, err
	}
	if len(b) <= crcSize {
		lg.Warn("snap file holds no snapshot", "path", path, "size", len(b))
		return nil, ErrEmptySnapshot
	}
	want, data := binary.LittleEndian.Uint32(b), b[crcSize:]
	if got := crc32.Checksum(data, crcTable); got != want {
		lg.Warn("snap file is corrupt", "path", path, "prev-crc", want, "new-crc", got)
		return nil, ErrCRCMismatch
	}
	var snapshot raftpb.Snapshot
	if err := snapshot.Unmarshal(data); err != nil {
		lg.Warn("failed to unmarshal raftpb.Snapshot", "path", path, "error", err)
		return nil, fmt.Errorf("snap: unmarshal %s: %w", path, err)
	}
	return &snapshot, nil
}

// snapNames returns the snap files, newest first, or ErrNoSnapshot. The names are fixed-width
// hex of term then index, so their string order is their raft order.
func (s *Snapshotter) snapNames() ([]string, error) {
	names, err := readDirNames(s.dir)
	if err != nil {
		return nil, err
	}
	names, err = s.cleanupSnapdir(names)
	if err != nil {
		return nil, err
	}
	var snaps []string
	for _, name := range names {
		switch {
		case strings.HasSuffix(name, snapSuffix):
			snaps = append(snaps, name)
		case validFiles[name], strings.HasSuffix(name, dbSuffix), strings.HasSuffix(name, brokenSuffix):
		default:
			s.lg.Warn("found unexpected non-snap file; skipping", "path", name)
		}
	}
	if len(snaps) == 0 {
		return nil, ErrNoSnapshot
	}
	slices.Sort(snaps)
	slices.Reverse(snaps)
	return snaps, nil
}

// cleanupSnapdir removes what a crash leaves behind: our temporary files and the backend's
// defragmentation file. It returns the other names.
func (s *Snapshotter) cleanupSnapdir(names []string) ([]string, error) {
	kept := names[:0]
	for _, name := range names {
		if !strings.HasSuffix(name, tmpSuffix) && !strings.HasPrefix(name, defragTmpPrefix) {
			kept = append(kept, name)
			continue
		}
		s.lg.Info("found an orphaned temporary file; deleting", "path", name)
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("snap: remove orphaned file %s: %w", name, err)
		}
	}
	return kept, nil
}

// ReleaseSnapDBs removes the .snap.db files older than snap: once snap is saved and applied, a
// db sent for an earlier snapshot can no longer be needed. The storage's Release calls it.
func (s *Snapshotter) ReleaseSnapDBs(snap raftpb.Snapshot) error {
	names, err := readDirNames(s.dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		hexIndex, ok := strings.CutSuffix(name, dbSuffix)
		if !ok {
			continue
		}
		index, err := strconv.ParseUint(hexIndex, 16, 64)
		if err != nil {
			s.lg.Error("failed to parse index from filename", "path", name, "error", err)
			continue
		}
		if index >= snap.Metadata.Index {
			continue
		}
		s.lg.Info("found orphaned .snap.db file; deleting", "path", name)
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.lg.Error("failed to remove orphaned .snap.db file", "path", name, "error", err)
		}
	}
	return nil
}

// Purge keeps the newest maxFiles .snap files and the newest maxFiles .snap.db files and removes the
// others, returning the names removed. It is one pass of what etcd's server does every 30 s
// with fileutil.PurgeFileWithoutFlock on the snap dir (suffixes "snap" and "snap.db",
// --max-snapshots, default 5); the server decides when to call it.
func (s *Snapshotter) Purge(maxFiles uint) ([]string, error) {
	names, err := readDirNames(s.dir)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var purged []string
	for _, suffix := range []string{snapSuffix, dbSuffix} {
		var matching []string
		for _, name := range names {
			if strings.HasSuffix(name, suffix) {
				matching = append(matching, name)
			}
		}
		for len(matching) > int(maxFiles) {
			if err := os.Remove(filepath.Join(s.dir, matching[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
				return purged, err
			}
			s.lg.Info("purged", "path", matching[0])
			purged = append(purged, matching[0])
			matching = matching[1:]
		}
	}
	return purged, nil
}
