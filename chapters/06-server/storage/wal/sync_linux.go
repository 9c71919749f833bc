//go:build linux

package wal

import (
	"os"
	"syscall"
)

// fdatasync flushes a file's data, and only the metadata needed to read it back (such as its
// size), as etcd's WAL does on Linux (pkg/fileutil.Fdatasync). A segment is preallocated, so an
// append changes neither its size nor anything else fsync would also write.
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fdatasync(int(fd)) }); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
