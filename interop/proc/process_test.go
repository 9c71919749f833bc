package proc

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stop sends SIGTERM, kills what ignores it, and says so; it judges the exit status only where
// the Spec asks for a clean exit, and leaves the process down and gone in every case.
func TestStop(t *testing.T) {
	tests := []struct {
		name      string
		mode      string
		cleanExit bool
		wantErr   string // "" for none
	}{
		{name: "exits 0 on SIGTERM", mode: "exit-0-on-term", cleanExit: true},
		{name: "dies of SIGTERM, no clean exit asked", mode: "sleep"},
		{name: "dies of SIGTERM, clean exit asked", mode: "sleep", cleanExit: true, wantErr: "should exit with status 0 on SIGTERM, but: signal: terminated"},
		{name: "exits 1 on SIGTERM, no clean exit asked", mode: "exit-1-on-term"},
		{name: "exits 1 on SIGTERM, clean exit asked", mode: "exit-1-on-term", cleanExit: true, wantErr: "should exit with status 0 on SIGTERM, but: exit status 1"},
		{name: "ignores SIGTERM", mode: "ignore-term", wantErr: "did not exit within 500ms of SIGTERM and was killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := helperSpec(t, tt.mode)
			spec.CleanExit = tt.cleanExit
			p := launchHelper(t, spec)
			require.NoError(t, p.Check(), "the helper runs")
			err := p.Stop()
			if tt.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tt.wantErr)
			}
			require.ErrorIs(t, p.Check(), ErrDown, "a stopped process is down")
			require.NoError(t, p.Stop(), "stopping a process that is down does nothing")
			requireNoChildren(t)
		})
	}
}

// A process that exits by itself is not down on purpose: Check says how it exited, and Stop,
// Kill and Restart report it instead of treating it as stopped.
func TestExitedByItself(t *testing.T) {
	tests := []struct {
		name string
		op   func(p *Process) error
		want string
	}{
		{"Check", func(p *Process) error { return p.Check() }, "helper-exit-0-on-term exited by itself: exit status 0"},
		{"Stop", func(p *Process) error { return p.Stop() }, "had exited by itself before it was stopped: exit status 0"},
		{"Kill", func(p *Process) error { return p.Kill() }, "kill: helper-exit-0-on-term exited by itself"},
		{"Restart", func(p *Process) error { return p.Restart(context.Background()) }, "Restart: helper-exit-0-on-term exited by itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := launchHelper(t, helperSpec(t, "exit-0-on-term"))
			// Behind the Process's back, as a crash would.
			require.NoError(t, syscallTerm(p.Pid()))
			require.Eventually(t, func() bool { return p.Check() != nil }, 5*time.Second, 10*time.Millisecond)
			err := tt.op(p)
			require.ErrorContains(t, err, tt.want)
			assert.NotErrorIs(t, err, ErrDown)
		})
	}
}

// A process killed with SIGKILL behind the Process's back, on purpose, can be accepted as down
// (TestChapter05ClientAgainstRealEtcd then restarts it); one that ended any other way, or still
// runs, cannot.
func TestKilledElsewhere(t *testing.T) {
	p := launchHelper(t, helperSpec(t, "sleep"))
	require.ErrorContains(t, p.KilledElsewhere(), "still running")
	require.NoError(t, syscall.Kill(p.Pid(), syscall.SIGKILL))
	require.Eventually(t, func() bool { return p.Check() != nil }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, p.KilledElsewhere())
	require.ErrorIs(t, p.Check(), ErrDown)
	require.NoError(t, p.Stop(), "accepted as down, it is left alone by Stop, and Restart may start it")
	require.ErrorIs(t, p.KilledElsewhere(), ErrDown)

	q := launchHelper(t, helperSpec(t, "exit-0-on-term"))
	require.NoError(t, syscallTerm(q.Pid()))
	require.Eventually(t, func() bool { return q.Check() != nil }, 5*time.Second, 10*time.Millisecond)
	require.ErrorContains(t, q.KilledElsewhere(), "exited by itself: exit status 0", "only a SIGKILL is accepted")
}

// Lifecycle calls in the wrong state are errors, not hangs or panics.
func TestLifecycleMisuse(t *testing.T) {
	p := launchHelper(t, helperSpec(t, "sleep"))
	require.ErrorContains(t, p.Restart(context.Background()), "still running; Stop or Kill it first")
	_, err := p.RestartRefused(context.Background())
	require.ErrorContains(t, err, "still running")

	require.NoError(t, p.Kill())
	require.ErrorIs(t, p.Check(), ErrDown)
	err = p.Kill()
	require.ErrorIs(t, err, ErrDown, "a process that is down cannot be killed again")
	require.NoError(t, p.Stop())
	requireNoChildren(t)
}

// Readiness has a deadline, the Spec's or the caller's, and its error says which one passed and
// what the last probe saw; the process that never became ready is stopped.
func TestReadinessTimesOut(t *testing.T) {
	tests := []struct {
		name    string
		ready   time.Duration
		ctx     time.Duration // 0: no deadline of the caller's
		want    []string
		minWait time.Duration
	}{
		{name: "the ready timeout", ready: time.Second, want: []string{"not ready within 1s", "the last probe said: http://127.0.0.1:"}, minWait: time.Second},
		{name: "the caller's deadline", ready: time.Minute, ctx: 500 * time.Millisecond, want: []string{"context deadline exceeded", "the last probe said"}, minWait: 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := helperSpec(t, "sleep")
			spec.Timeouts.Ready = tt.ready
			ctx := context.Background()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			start := time.Now()
			p, err := Start(ctx, spec)
			elapsed := time.Since(start)
			require.Error(t, err)
			assert.Nil(t, p)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
			assert.Contains(t, err.Error(), "--- end of helper-sleep's output", "the error should carry the process's output")
			assert.GreaterOrEqual(t, elapsed, tt.minWait)
			assert.Less(t, elapsed, tt.minWait+5*time.Second, "the wait should end at its deadline")
			requireNoChildren(t)
		})
	}
}

// RestartRefused reports the exit status of a process that refuses to start, and refuses to call
// a start that hangs a refusal.
func TestRestartRefused(t *testing.T) {
	t.Run("exits with status 2", func(t *testing.T) {
		spec := helperSpec(t, "sleep")
		p := launchHelper(t, spec)
		require.NoError(t, p.Kill())
		// The next run fails at once, as a server refusing its data directory does.
		p.spec.Env[0] = helperEnv + "=fail"
		code, err := p.RestartRefused(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 2, code)
		assert.Contains(t, p.Tail(), "flag provided but not defined")
		assert.Len(t, p.Logs(), 2, "each run has a log of its own")
		require.ErrorIs(t, p.Check(), ErrDown)
	})
	t.Run("neither exits nor becomes ready", func(t *testing.T) {
		p := launchHelper(t, helperSpec(t, "sleep"))
		require.NoError(t, p.Stop())
		_, err := p.RestartRefused(context.Background())
		require.ErrorContains(t, err, "should have refused to start again, but it neither exited nor became ready: not ready within 1s")
		require.ErrorIs(t, p.Check(), ErrDown)
		requireNoChildren(t)
	})
}

// A Spec without what a process needs is refused before anything starts.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		start func() error
		want  string
	}{
		{"Spec without LogDir", func() error {
			_, err := Start(context.Background(), Spec{Name: "x", Bin: "/bin/true", Endpoints: []string{"http://127.0.0.1:1"}})
			return err
		}, "needs Name, Bin and LogDir"},
		{"Spec without endpoints", func() error {
			_, err := Start(context.Background(), Spec{Name: "x", Bin: "/bin/true", LogDir: dir})
			return err
		}, "no endpoints"},
		{"one-member server with three members", func() error {
			_, err := StartServer(context.Background(), ServerConfig{Name: "x", Bin: "/bin/true", Members: 3, LogDir: dir})
			return err
		}, "3 members in one process need Cluster"},
		{"cluster server without members", func() error {
			_, err := StartServer(context.Background(), ServerConfig{Name: "x", Bin: "/bin/true", Cluster: true, LogDir: dir})
			return err
		}, "a cluster needs at least one member"},
		{"cluster without Dir", func() error {
			_, err := StartCluster(context.Background(), ClusterConfig{Name: "x", Bin: "/bin/true", Members: 3})
			return err
		}, "ClusterConfig needs Name, Bin, Dir"},
		{"cluster over an old member's data", func() error {
			old := t.TempDir()
			require.NoError(t, os.Mkdir(filepath.Join(old, "x2.etcd"), 0o755))
			_, err := StartCluster(context.Background(), ClusterConfig{Name: "x", Bin: "/bin/true", Members: 3, Dir: old})
			return err
		}, "x2.etcd, exists already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, tt.start(), tt.want)
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing should have been started, or logged")
}

func TestTailFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	long := strings.Repeat("0123456789abcdef\n", 1000) // 17000 bytes of 17-byte lines
	tests := []struct {
		name, path, want string
	}{
		{"short", write("short", "one\ntwo\n"), "one\ntwo"},
		{"empty", write("empty", ""), "(no output)"},
		{"missing", filepath.Join(dir, "missing"), "(cannot read the log: "},
		{"long, cut at a line", write("long", long), "...\n" + strings.Repeat("0123456789abcdef\n", tailBytes/17)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TailFile(tt.path)
			if tt.name == "missing" {
				assert.True(t, strings.HasPrefix(got, tt.want), got)
				return
			}
			assert.Equal(t, strings.TrimSuffix(tt.want, "\n"), got)
		})
	}
}

// A taken port is retried on new ports, other failures are not, and the retries end.
func TestRetryOnTakenPort(t *testing.T) {
	taken := errors.New("listen tcp 127.0.0.1:2379: bind: address already in use")
	other := errors.New("exit status 1")
	tests := []struct {
		name      string
		errs      []error // what each attempt returns
		wantCalls int
		wantErr   error
	}{
		{"first attempt works", []error{nil}, 1, nil},
		{"taken, then works", []error{taken, nil}, 2, nil},
		{"always taken", []error{taken, taken, taken, taken}, startAttempts, taken},
		{"another failure", []error{other, nil}, 1, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, cleanups := 0, 0
			err := retryOnTakenPort(func() error { calls++; return tt.errs[calls-1] }, func() { cleanups++ })
			assert.Equal(t, tt.wantErr, err)
			assert.Equal(t, tt.wantCalls, calls)
			assert.Equal(t, tt.wantCalls-1, cleanups, "cleanup runs between attempts")
		})
	}
}

func TestFlags(t *testing.T) {
	names := []string{"etcd1", "etcd2", "etcd3"}
	dirs := []string{"/d/etcd1.etcd", "/d/etcd2.etcd", "/d/etcd3.etcd"}
	clients := []string{"http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"}
	peers := []string{"http://127.0.0.1:11", "http://127.0.0.1:12", "http://127.0.0.1:13"}
	assert.Equal(t, []string{
		"--name", "etcd2",
		"--data-dir", "/d/etcd2.etcd",
		"--listen-client-urls", "http://127.0.0.1:2",
		"--advertise-client-urls", "http://127.0.0.1:2",
		"--listen-peer-urls", "http://127.0.0.1:12",
		"--initial-advertise-peer-urls", "http://127.0.0.1:12",
		"--initial-cluster", "etcd1=http://127.0.0.1:11,etcd2=http://127.0.0.1:12,etcd3=http://127.0.0.1:13",
		"--initial-cluster-state", "new",
		"--initial-cluster-token", "etcd-1",
	}, memberFlags(1, "etcd-1", names, dirs, clients, peers),
		"member 2 should listen on its own URLs and name all three peers in --initial-cluster")

	tests := []struct {
		name    string
		urls    []string
		cluster bool
		want    []string
	}{
		{"one member", clients[:1], false, []string{"--listen-client-urls", "http://127.0.0.1:1", "--advertise-client-urls", "http://127.0.0.1:1"}},
		{"cluster in one process", clients, true, []string{"--listen-client-urls", "http://127.0.0.1:1,http://127.0.0.1:2,http://127.0.0.1:3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, serverFlags(tt.urls, tt.cluster))
		})
	}
}

func TestCPUTime(t *testing.T) {
	if _, ok := cpuTime(os.Getpid()); !ok {
		t.Skip("no /proc/PID/stat here")
	}
	before, _ := cpuTime(os.Getpid())
	// Spin until 20 ms of CPU time show, or 10 s pass: on a loaded machine the spinning gets only
	// part of a CPU, so wall time says nothing about how much CPU it got.
	after := before
	for deadline := time.Now().Add(10 * time.Second); after-before < 20*time.Millisecond && time.Now().Before(deadline); {
		for start := time.Now(); time.Since(start) < 10*time.Millisecond; {
		}
		var ok bool
		after, ok = cpuTime(os.Getpid())
		require.True(t, ok)
	}
	assert.GreaterOrEqual(t, after-before, 20*time.Millisecond, "busy looping must show as CPU time of the process")
	_, ok := cpuTime(-1)
	assert.False(t, ok, "a process that does not exist has no CPU time")
}

// The Builder builds a package once, for any number of concurrent callers, and reports a failed
// build with the go command's output.
func TestBuilder(t *testing.T) {
	b, err := NewBuilder(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = b.Build(canceled, "etcdwalk/interop/loadrun", false)
	require.ErrorIs(t, err, context.Canceled, "a build whose caller gave up fails with the caller's reason")

	paths := make(chan string, 4)
	for range cap(paths) {
		go func() {
			path, err := b.Build(ctx, "etcdwalk/interop/loadrun", false)
			assert.NoError(t, err, "the build abandoned before should be tried again")
			paths <- path
		}()
	}
	first := <-paths
	for range cap(paths) - 1 {
		assert.Equal(t, first, <-paths, "every caller gets the one binary")
	}
	assert.FileExists(t, first)

	_, err = b.Build(ctx, "etcdwalk/interop/nosuchpackage", false)
	require.ErrorContains(t, err, "go build etcdwalk/interop/nosuchpackage (race=false)")
	assert.Contains(t, err.Error(), "nosuchpackage", "the error should carry go build's output")

	test, err := b.BuildTest(ctx, "etcdwalk/interop/loadrun", false)
	require.NoError(t, err)
	require.NotEqual(t, first, test, "a package's test binary is a binary of its own")
	out, err := exec.Command(test, "-test.list", "Test").Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "Test", "BuildTest builds the package's tests (go test -c)")
	again, err := b.BuildTest(ctx, "etcdwalk/interop/loadrun", false)
	require.NoError(t, err)
	assert.Equal(t, test, again, "built once")
}
