package harness

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"etcdwalk/interop/proc"
)

// Packages of the reference binaries, at the versions interop/go.mod pins.
const (
	EtcdPackage    = proc.EtcdPackage
	EtcdctlPackage = proc.EtcdctlPackage
	// EtcdVersion is the version of etcd and etcdctl that go.mod pins; TestEtcdVersion checks it.
	EtcdVersion = proc.EtcdVersion
)

// builds is the one Builder of the test process, so that each binary is built once however many
// tests ask for it; Main removes its directory.
var builds struct {
	mu sync.Mutex
	b  *proc.Builder
}

// Build compiles the main package pkg (an import path: a chapter's cmd/server from the workspace,
// or EtcdPackage / EtcdctlPackage) with `go build`, with the race detector if race is set, and
// returns the binary's path. Each (pkg, race) pair is built once per test process, even when
// tests ask for it concurrently. If the build fails, the test fails with go build's output.
func Build(t testing.TB, pkg string, race bool) string {
	t.Helper()
	b, err := builder()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	path, err := b.Build(context.Background(), pkg, race)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return path
}

// BuildTest compiles the test binary of pkg (go test -c), with the race detector if race is set,
// once per test process as Build does, and returns its path.
func BuildTest(t testing.TB, pkg string, race bool) string {
	t.Helper()
	b, err := builder()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	path, err := b.BuildTest(context.Background(), pkg, race)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return path
}

func builder() (*proc.Builder, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.b == nil {
		dir, err := os.MkdirTemp("", "etcdwalk-interop-bin-")
		if err != nil {
			return nil, fmt.Errorf("create the directory for built binaries: %w", err)
		}
		b, err := proc.NewBuilder(dir)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		builds.b = b
	}
	return builds.b, nil
}

// removeBuilds deletes the binaries Build made.
func removeBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.b != nil {
		os.RemoveAll(builds.b.Dir())
		builds.b = nil
	}
}
