package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

var errBadWALName = errors.New("wal: bad wal name")

// walName is a segment's file name: its sequence number, then the raft index of the first entry
// it may hold, both in fixed-width hex so that names sort in log order.
func walName(seq, index uint64) string {
	return fmt.Sprintf("%016x-%016x.wal", seq, index)
}

func parseWALName(name string) (seq, index uint64, err error) {
	if !strings.HasSuffix(name, ".wal") {
		return 0, 0, errBadWALName
	}
	if _, err := fmt.Sscanf(name, "%016x-%016x.wal", &seq, &index); err != nil {
		return 0, 0, fmt.Errorf("%w: %q: %v", errBadWALName, name, err)
	}
	return seq, index, nil
}

// Exist tells whether dir holds a WAL: a member with one restarts, a member without one starts new.
func Exist(dir string) bool {
	names, err := readWALNames(dir)
	return err == nil && len(names) > 0
}

// readWALNames lists dir's segments in log order. Other files (the pipeline's *.tmp, a repair's
// *.broken) are not segments.
func readWALNames(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range des {
		if _, _, err := parseWALName(de.Name()); err == nil {
			names = append(names, de.Name())
		}
	}
	if len(names) == 0 {
		return nil, ErrFileNotFound
	}
	slices.Sort(names)
	return names, nil
}

// searchIndex finds the last segment whose first index is at or before index: the segment that
// holds the snapshot marker reading starts from.
func searchIndex(names []string, index uint64) (int, bool) {
	for i := len(names) - 1; i >= 0; i-- {
		_, first, err := parseWALName(names[i])
		if err == nil && index >= first {
			return i, true
		}
	}
	return -1, false
}

// isValidSeq tells whether the segments' sequence numbers follow one another: a missing segment
// is a hole in the log.
func isValidSeq(names []string) bool {
	var last uint64
	for i, name := range names {
		seq, _, err := parseWALName(name)
		if err != nil || (i > 0 && seq != last+1) {
			return false
		}
		last = seq
	}
	return true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// zeroToEnd makes everything from off on zero again, keeping the file's size: what a torn write
// or an overwritten suffix left there must never be read as records.
func zeroToEnd(f *os.File, off int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := f.Truncate(off); err != nil {
		return err
	}
	return f.Truncate(max(st.Size(), off))
}

// cutTail keeps a copy of the segment as it was, then truncates it at off.
func cutTail(path string, contents []byte, off int64) error {
	if err := os.WriteFile(path+".broken", contents, 0o600); err != nil {
		return fmt.Errorf("wal: keep a copy of the torn segment: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(off); err != nil {
		return err
	}
	if err := syncFunc(f); err != nil {
		return fmt.Errorf("wal: fsync the repaired %s: %w", filepath.Base(path), err)
	}
	return nil
}
