package harness

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main is the TestMain of a package that uses the harness:
//
//	func TestMain(m *testing.M) { harness.Main(m) }
//
// It runs the tests, removes the binaries Build made, and, if every test passed, fails the run
// when goroutines are left over: every client, connection and process watcher the tests started
// must be gone once their cleanups have run. Nothing is ignored: once closed, clientv3 clients
// and gRPC connections leave no goroutine behind, so any leftover is a real leak.
func Main(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(exitCode int) {
		removeBuilds()
		os.Exit(exitCode)
	}))
}
