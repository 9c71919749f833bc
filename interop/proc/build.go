package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Main packages of the reference binaries, at the versions interop/go.mod pins (its tool
// directives).
const (
	EtcdPackage    = "go.etcd.io/etcd/server/v3"
	EtcdctlPackage = "go.etcd.io/etcd/etcdctl/v3"
	// BenchmarkPackage is etcd's benchmark tool. The module proxy serves etcd's root module only
	// up to v3.6.8, so the tool's source is v3.6.8's; built in the interop module it links
	// client/v3 v3.6.16 like everything else.
	BenchmarkPackage = "go.etcd.io/etcd/v3/tools/benchmark"
	// EtcdVersion is the version of etcd and etcdctl that interop/go.mod pins.
	EtcdVersion = "3.6.16"
)

// buildTimeout bounds one `go build` when the caller's context has no earlier deadline. A cold
// build of etcd with -race takes a few minutes on 2 cores; a warm build cache, seconds.
const buildTimeout = 10 * time.Minute

// Builder compiles main packages into one directory, each (package, race) pair at most once,
// however many callers ask for it and however concurrently. It builds inside the interop module,
// so interop/go.mod decides etcd's version and the go.work above it resolves the chapters'
// packages.
type Builder struct {
	dir    string
	modDir string

	mu     sync.Mutex
	builds map[buildKey]*build
}

type buildKey struct {
	pkg  string
	race bool
	test bool // the package's test binary (go test -c), not its main
}

// build is one binary; done is closed once the other fields are final.
type build struct {
	done chan struct{}
	path string
	err  error
	// abandoned: the build stopped because its caller's context ended, which says nothing about
	// the sources; whoever waited for it builds it again.
	abandoned bool
}

// NewBuilder returns a Builder that puts its binaries in dir (which must exist; removing it is
// the caller's business).
func NewBuilder(dir string) (*Builder, error) {
	modDir, err := ModuleDir()
	if err != nil {
		return nil, err
	}
	return &Builder{dir: dir, modDir: modDir, builds: make(map[buildKey]*build)}, nil
}

// Dir is where the binaries go.
func (b *Builder) Dir() string { return b.dir }

// ModuleDir is the interop module's directory, where the builds run.
func (b *Builder) ModuleDir() string { return b.modDir }

// Build compiles the main package pkg (a chapter's cmd/server, EtcdPackage, EtcdctlPackage,
// BenchmarkPackage), with the race detector if race is set, and returns the binary's path. A
// package built already is not built again. A failed build is remembered too (the sources will
// not change during the run), except one that failed because ctx ended: that one is tried again
// by the next call.
func (b *Builder) Build(ctx context.Context, pkg string, race bool) (string, error) {
	return b.build(ctx, buildKey{pkg: pkg, race: race})
}

// BuildTest compiles the test binary of pkg (`go test -c`), with the race detector if race is
// set, once per Builder as Build does: for a package whose tests run against a server that
// interop starts (chapter 05's client suite and benchmarks, which cannot be linked into a binary
// with etcd's packages).
func (b *Builder) BuildTest(ctx context.Context, pkg string, race bool) (string, error) {
	return b.build(ctx, buildKey{pkg: pkg, race: race, test: true})
}

func (b *Builder) build(ctx context.Context, key buildKey) (string, error) {
	pkg := key.pkg
	for {
		b.mu.Lock()
		bd, found := b.builds[key]
		if !found {
			bd = &build{done: make(chan struct{})}
			b.builds[key] = bd
		}
		b.mu.Unlock()
		if !found {
			return b.run(ctx, key, bd)
		}
		select {
		case <-bd.done:
		case <-ctx.Done():
			return "", fmt.Errorf("go build %s: waiting for another caller's build: %w", pkg, context.Cause(ctx))
		}
		if !bd.abandoned {
			return bd.path, bd.err
		}
		// The caller who built it gave up; build it for this one.
	}
}

// run builds bd, the entry of key, and publishes the result.
func (b *Builder) run(ctx context.Context, key buildKey, bd *build) (string, error) {
	name := strings.NewReplacer("/", "_", ".", "_").Replace(key.pkg)
	if key.race {
		name += "-race"
	}
	if key.test {
		name += ".test"
	}
	path := filepath.Join(b.dir, name)
	err := b.goBuild(ctx, path, key)
	if err == nil {
		bd.path = path
	} else {
		bd.err = err
		if ctx.Err() != nil {
			bd.abandoned = true
			b.mu.Lock()
			delete(b.builds, key)
			b.mu.Unlock()
		}
	}
	close(bd.done)
	return bd.path, bd.err
}

func (b *Builder) goBuild(ctx context.Context, out string, key buildKey) error {
	ctx, cancel := context.WithTimeoutCause(ctx, buildTimeout, fmt.Errorf("gave up after %v", buildTimeout))
	defer cancel()
	// No VCS stamp: it needs a git checkout owned by the current user, and nothing reads it.
	args := []string{"build", "-buildvcs=false", "-o", out}
	verb := "go build"
	if key.test {
		args = []string{"test", "-c", "-buildvcs=false", "-o", out}
		verb = "go test -c"
	}
	if key.race {
		args = append(args, "-race")
	}
	pkg, race := key.pkg, key.race
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = b.modDir
	cmd.WaitDelay = 10 * time.Second
	output, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", context.Cause(ctx), err)
		}
		return fmt.Errorf("%s %s (race=%v): %w\n%s", verb, pkg, race, err, output)
	}
	return nil
}

// ModuleDir finds the interop module's directory: from this source file's location when the
// sources are where they were compiled, else by asking the go command (a -trimpath build, or a
// binary run elsewhere in the workspace).
func ModuleDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Dir(filepath.Dir(file))
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "etcdwalk/interop").Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(exit.Stderr))
		}
		return "", fmt.Errorf("cannot find the interop module (run from inside the etcdwalk workspace): %w", err)
	}
	return string(bytes.TrimSpace(out)), nil
}
