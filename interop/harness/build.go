package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Packages of the reference binaries, at the versions interop/go.mod pins (tool directives).
const (
	EtcdPackage    = "go.etcd.io/etcd/server/v3"
	EtcdctlPackage = "go.etcd.io/etcd/etcdctl/v3"
	// EtcdVersion is the version of etcd and etcdctl that go.mod pins; TestEtcdVersion checks it.
	EtcdVersion = "3.6.16"
)

// buildTimeout bounds one `go build`. A cold build of etcd with -race takes a minute or two on a
// small machine; a warm build cache makes it a few seconds.
const buildTimeout = 5 * time.Minute

// A build is one binary, built at most once per test process.
type build struct {
	once    sync.Once
	path    string
	output  []byte
	err     error
	elapsed time.Duration
}

var builds struct {
	mu  sync.Mutex
	dir string // created on the first Build, removed by Main
	m   map[string]*build
}

// Build compiles the main package pkg (an import path: a chapter's cmd/server from the workspace,
// or EtcdPackage / EtcdctlPackage) with `go build`, with the race detector if race is set, and
// returns the binary's path. Each (pkg, race) pair is built once per test process, however many
// tests ask for it, even concurrently. If the build fails, the test fails with go build's output.
func Build(t testing.TB, pkg string, race bool) string {
	t.Helper()
	b, dir, err := buildFor(pkg, race)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	b.once.Do(func() {
		name := strings.NewReplacer("/", "_", ".", "_").Replace(pkg)
		if race {
			name += "-race"
		}
		b.path = filepath.Join(dir, name)
		start := time.Now()
		b.output, b.err = goBuild(b.path, pkg, race)
		b.elapsed = time.Since(start)
		if b.err == nil {
			t.Logf("harness: built %s (race=%v) in %v", pkg, race, b.elapsed.Round(time.Millisecond))
		}
	})
	if b.err != nil {
		t.Fatalf("harness: go build %s (race=%v) failed: %v\n%s", pkg, race, b.err, b.output)
	}
	return b.path
}

func buildFor(pkg string, race bool) (*build, string, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "etcdwalk-interop-bin-")
		if err != nil {
			return nil, "", fmt.Errorf("create the directory for built binaries: %w", err)
		}
		builds.dir = dir
		builds.m = make(map[string]*build)
	}
	key := fmt.Sprintf("%s race=%v", pkg, race)
	b, ok := builds.m[key]
	if !ok {
		b = new(build)
		builds.m[key] = b
	}
	return b, builds.dir, nil
}

func goBuild(out, pkg string, race bool) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	// Build from inside the interop module: its go.mod pins etcd's version, and the go.work above
	// it makes the chapters' packages resolvable.
	cmd.Dir = moduleDir()
	cmd.WaitDelay = 10 * time.Second
	output, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("gave up after %v: %w", buildTimeout, err)
	}
	return output, err
}

// moduleDir is the interop module's directory, found from this source file's location. If the
// source is not where it was compiled (a -trimpath build), the current directory is used: go test
// runs a package's tests in the package's directory, which is inside the module too.
func moduleDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	dir := filepath.Dir(filepath.Dir(file))
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return ""
	}
	return dir
}

// removeBuilds deletes the binaries Build made.
func removeBuilds() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
		builds.dir, builds.m = "", nil
	}
}
