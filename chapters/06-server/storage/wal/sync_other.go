//go:build !linux

package wal

import "os"

// fdatasync is a plain fsync where the system has no fdatasync of its own to call here.
func fdatasync(f *os.File) error { return f.Sync() }
