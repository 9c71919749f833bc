package proc

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func newClient(t *testing.T, endpoints ...string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli
}

// A three-member real etcd runs as three processes, each with its own data directory; it keeps
// serving writes when its leader is killed with SIGKILL, and the killed member, restarted from
// its data directory, rejoins and serves what was written while it was down.
func TestEtcdClusterSurvivesKilledMember(t *testing.T) {
	bin := testBinary(t, EtcdPackage)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := StartCluster(ctx, EtcdCluster(bin, 3, t.TempDir()))
	require.NoError(t, err)
	defer func() {
		require.NoError(t, c.Stop(), "every member should stop on SIGTERM")
		requireNoChildren(t)
	}()

	require.Len(t, c.Members, 3)
	pids := []int{c.Members[0].Pid(), c.Members[1].Pid(), c.Members[2].Pid()}
	if got := children(t); got != nil {
		assert.ElementsMatch(t, pids, got, "each member should be a child process of its own")
	}
	for i, m := range c.Members {
		assert.Equal(t, []string{"etcd1", "etcd2", "etcd3"}[i], m.Name())
		assert.DirExists(t, filepath.Join(c.DataDir(i), "member", "wal"), "%s should keep its WAL in its own data directory", m.Name())
	}

	cli := newClient(t, c.Endpoints()...)
	_, err = cli.Put(ctx, "k", "before")
	require.NoError(t, err, "the cluster should serve a write")

	victim, err := c.Leader(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Members[victim].Kill())
	require.ErrorIs(t, c.Members[victim].Check(), ErrDown, "a killed member is down")
	if live := children(t); live != nil {
		assert.NotContains(t, live, pids[victim], "the killed member's process should be gone")
	}

	// The other two elect a new leader and take the write. Until they have, etcd answers "no
	// leader" or "leader changed", which clientv3 does not retry for a Put.
	survivors := slices.Delete(c.Endpoints(), victim, victim+1)
	cli2 := newClient(t, survivors...)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		defer pcancel()
		_, err := cli2.Put(pctx, "k", "while-down")
		assert.NoError(ct, err)
	}, 20*time.Second, 100*time.Millisecond, "two of three members should still serve a write")

	require.NoError(t, c.Members[victim].Restart(ctx), "the killed member should restart from its data directory")
	assert.Len(t, c.Members[victim].Logs(), 2, "the restart should write a log of its own")
	require.NoError(t, c.WaitReady(ctx), "all three members should agree on a leader again")

	// A serializable Get reads the restarted member's own store: it has caught up from the leader.
	only := newClient(t, c.Endpoints()[victim])
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		resp, err := only.Get(ctx, "k", clientv3.WithSerializable())
		if assert.NoError(ct, err) && assert.Len(ct, resp.Kvs, 1) {
			assert.Equal(ct, "while-down", string(resp.Kvs[0].Value))
		}
	}, 10*time.Second, 50*time.Millisecond, "the restarted member should serve the value written while it was down")
}

// A start that fails returns an error with the end of the failing process's output, at once (it
// does not wait for the ready timeout), and leaves no process: when the third member of a
// cluster fails, the first two, already running, are stopped.
func TestStartFailureStopsEverything(t *testing.T) {
	etcd := testBinary(t, EtcdPackage)
	tests := []struct {
		name  string
		start func(ctx context.Context, dir string) error
		want  []string // in the error
	}{{
		name: "etcd with an unknown flag",
		start: func(ctx context.Context, dir string) error {
			cfg := EtcdCluster(etcd, 1, dir)
			cfg.Args = append(cfg.Args, "--no-such-flag")
			_, err := StartCluster(ctx, cfg)
			return err
		},
		want: []string{"start etcd", "etcd exited by itself", "--- end of etcd's output", "no-such-flag"},
	}, {
		name: "third member of three with an unknown flag",
		start: func(ctx context.Context, dir string) error {
			cfg := EtcdCluster(etcd, 3, dir)
			cfg.MemberArgs = func(i int) []string {
				if i == 2 {
					return []string{"--no-such-flag"}
				}
				return nil
			}
			_, err := StartCluster(ctx, cfg)
			return err
		},
		want: []string{"etcd3 exited by itself", "--- end of etcd1's output", "--- end of etcd3's output", "no-such-flag"},
	}, {
		name: "a server that exits at once",
		start: func(ctx context.Context, dir string) error {
			spec := helperSpec(t, "fail")
			spec.Timeouts.Ready = time.Minute
			_, err := Start(ctx, spec)
			return err
		},
		want: []string{"start helper-fail", "exit status 2", "flag provided but not defined: -bogus"},
	}, {
		name: "a binary that does not exist",
		start: func(ctx context.Context, dir string) error {
			spec := helperSpec(t, "sleep")
			spec.Bin = filepath.Join(dir, "no-such-binary")
			_, err := Start(ctx, spec)
			return err
		},
		want: []string{"no-such-binary"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			err := tt.start(ctx, t.TempDir())
			require.Error(t, err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
			assert.Less(t, time.Since(start), 20*time.Second, "a process that exits should end the wait for it at once")
			requireNoChildren(t)
		})
	}
}

// The members of a stopped cluster restart from their data: the cluster, stopped whole and
// started member by member, still has its data.
func TestEtcdClusterRestartsWhole(t *testing.T) {
	bin := testBinary(t, EtcdPackage)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := StartCluster(ctx, EtcdCluster(bin, 3, t.TempDir()))
	require.NoError(t, err)
	defer func() { require.NoError(t, c.Stop()) }()
	_, err = newClient(t, c.Endpoints()[1]).Put(ctx, "k", "v")
	require.NoError(t, err)

	require.NoError(t, c.Stop())
	requireNoChildren(t)
	for i, m := range c.Members {
		require.ErrorIs(t, m.Check(), ErrDown)
		_, err := os.Stat(c.DataDir(i))
		require.NoError(t, err, "Stop keeps the data directories")
	}
	// One member alone has no quorum and cannot be ready; restart them together, as after a
	// power cut.
	errs := make(chan error, len(c.Members))
	for _, m := range c.Members {
		go func() { errs <- m.Restart(ctx) }()
	}
	for range c.Members {
		require.NoError(t, <-errs)
	}
	resp, err := newClient(t, c.Endpoints()[2]).Get(ctx, "k")
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	assert.Equal(t, "v", string(resp.Kvs[0].Value))
}
