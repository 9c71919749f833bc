package wal

import "os"

// SetSyncFunc replaces the fsync every WAL created or opened afterwards uses, for the tests of
// package wal_test, which run a whole member on the WAL; it returns a function that puts the
// real one back.
func SetSyncFunc(f func(*os.File) error) (restore func()) {
	old := syncFunc
	syncFunc = f
	return func() { syncFunc = old }
}
