package walkthrough

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/require"
)

// TestMain removes the binaries harness.Build made, and fails the run if a goroutine is left: every
// terminal's reader and every readiness probe ends with its run. (That no process is left is
// checked per doc, on its terminals' process groups.)
func TestMain(m *testing.M) { harness.Main(m) }

// docs is every markdown file of the repository and whether `make test` runs its walkthrough.
// A doc is off only with a reason; to turn one on, delete its off field.
var docs = []struct{ path, off string }{
	{path: "README.md"},
	{path: "docs/README.md"},
	{path: "chapters/01-rpc/README.md"},
	{path: "chapters/01-rpc/third_party/googleapis/README.md"},
	{path: "chapters/02-kvserver/README.md"},
	{path: "chapters/03-propose-wait/README.md"},
	{path: "chapters/04-linearizable-read/README.md"},
	{path: "chapters/05-client/README.md"},
	{path: "chapters/06-server/README.md"},
	{path: "docs/workshop.md"},
	{path: "docs/benchmarks.md", off: "its blocks are load runs of minutes each (make bench), not checks"},
}

// onlyEnv names docs to run, comma-separated, off ones included; the others are skipped. For
// writing a doc: WALKTHROUGH_DOCS=docs/workshop.md go test -v -run TestWalkthroughs ./walkthrough/
const onlyEnv = "WALKTHROUGH_DOCS"

// TestWalkthroughs runs every shell block a doc tells its reader to run, in order, as pasted,
// against the chapters' real servers and the real etcdctl, in a copy of the repository as a fresh
// clone has it, with the environment of whoever runs the test (ETCDCTL_* included). See the
// package documentation for what runs and how outputs are compared.
func TestWalkthroughs(t *testing.T) {
	root, err := RepoRoot()
	require.NoError(t, err)
	tracked, err := Files(root, "*.md")
	require.NoError(t, err)
	var listed []string
	for _, d := range docs {
		listed = append(listed, d.path)
	}
	require.ElementsMatch(t, tracked, listed,
		"every markdown file of the repository should be in this test's docs list, so that none escapes it (add new ones, on or off with a reason)")

	var only []string
	if v := os.Getenv(onlyEnv); v != "" {
		only = strings.Split(v, ",")
	}
	env := readerEnv(os.Environ())
	ctx := context.Background()
	if dl, ok := t.Deadline(); ok {
		// Fail, and clean up, before go test's own timeout kills the process.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-30*time.Second))
		defer cancel()
	}
	for _, d := range docs {
		t.Run(d.path, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(root, d.path))
			require.NoError(t, err)
			doc, err := Parse(d.path, src)
			require.NoError(t, err, "the doc's directives")
			switch {
			case only != nil && !slices.Contains(only, d.path):
				t.Skipf("not in %s", onlyEnv)
			case only == nil && d.off != "":
				t.Skipf("off: %s (%d blocks would run; %s=%s runs it)", d.off, doc.Runnable(), onlyEnv, d.path)
			case doc.Runnable() == 0:
				t.Logf("no block to run (%d skipped)", len(doc.Skipped()))
				return
			}
			dir := t.TempDir()
			require.NoError(t, CopyTree(root, dir))
			r := &Runner{Root: dir, Env: env}
			report := r.Run(ctx, t, doc)
			t.Logf("%s: %s", d.path, report)
			if t.Failed() {
				if vars := etcdctlVars(env); len(vars) > 0 {
					t.Logf("the docs ran with your %s, as a reader's terminal would", strings.Join(vars, " "))
				}
			}
		})
	}
}

// readerEnv is the environment of a reader's terminal: the test's own, ETCDCTL_* included, less
// what make adds for the recipes it runs (a reader does not run the docs inside make, and a
// `make` in a doc must not join the outer make's jobserver).
func readerEnv(environ []string) []string {
	return slices.DeleteFunc(slices.Clone(environ), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MAKELEVEL" || name == "MFLAGS" || name == "MAKEOVERRIDES"
	})
}

func etcdctlVars(env []string) []string {
	var vars []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "ETCDCTL_") {
			vars = append(vars, kv)
		}
	}
	return vars
}
