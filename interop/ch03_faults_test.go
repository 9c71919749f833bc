package interop_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Chapter 03's members share one process, so a leader cannot be killed from outside while the
// others go on (the chapter's own tests in etcdserver/cluster_test.go do that in-process; chapter
// 06 runs one member per process). What the process as a whole promises is tested here: it stops
// cleanly, and it refuses to start on data it cannot use.

// stopLoadAcks is how many puts TestChapter03ServerStopsCleanly wants acknowledged before it
// stops the server, so that the stop meets writes in flight on every member.
const stopLoadAcks = 60

// TestChapter03ServerStopsCleanly stops a chapter 03 cluster with SIGTERM while a client writes
// through each member: the process must exit with status 0 within the harness's 5 seconds (the
// harness checks both), having answered every put it took before the signal.
func TestChapter03ServerStopsCleanly(t *testing.T) {
	t.Parallel()
	ours := startCh03(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopping atomic.Bool
	var acks atomic.Int64
	errs := make([]error, len(ours.Endpoints)) // a put that failed before the stop, per member
	var wg sync.WaitGroup
	for i, ep := range ours.Endpoints {
		cli := harness.NewClient(t, ep)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				_, err := cli.Put(ctx, fmt.Sprintf("stop/m%d/%d", i+1, n), "v")
				switch {
				case err == nil:
					acks.Add(1)
				case !stopping.Load() && errs[i] == nil:
					errs[i] = fmt.Errorf("put through member %d (%s): %w", i+1, ep, err)
				}
			}
		}()
	}

	deadline := time.Now().Add(ch03CatchUp)
	for acks.Load() < stopLoadAcks && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stopping.Store(true)
	start := time.Now()
	ours.Stop(t) // fails the test unless the process exits with status 0 within 5 s
	t.Logf("%d puts acknowledged; the server exited %v after SIGTERM", acks.Load(), time.Since(start).Round(time.Millisecond))
	// The clients now wait for a server that is gone; end their puts.
	cancel()
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err, "a put failed while the server was healthy")
	}
	require.GreaterOrEqual(t, acks.Load(), int64(stopLoadAcks), "the cluster should have acknowledged %d puts within %v", stopLoadAcks, ch03CatchUp)
}

// TestChapter03RefusesOldDataDir: chapter 03 keeps raft's log in memory, so a member cannot
// restart from its data directory (its store would be ahead of a raft log that starts again at
// index 1). The server must refuse such a directory at start, with a non-zero exit status and a
// message naming the directory, rather than serve and lose or repeat writes.
func TestChapter03RefusesOldDataDir(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	ours := harness.StartCluster(t, harness.Build(t, ch03Server, true), ch03Members, "--data-dir", dataDir)

	cli := harness.NewClient(t, ours.Endpoints[1])
	_, err := cli.Put(ctxWithTimeout(t), "foo", "bar")
	require.NoError(t, err, "a put through member 2 should succeed")
	require.NoError(t, cli.Close())
	ours.Stop(t)

	code, output := ours.RestartRefused(t)
	assert.NotZero(t, code, "the server should exit with a non-zero status on a used data dir")
	assert.Contains(t, output, dataDir, "the server's message should name the data dir it refuses")
	assert.Contains(t, output, "data dir", "the server's message should say what is wrong: the data dir")

	// A fresh directory works.
	fresh := harness.StartCluster(t, harness.Build(t, ch03Server, true), ch03Members, "--data-dir", t.TempDir())
	cli = harness.NewClient(t, fresh.Endpoints[2])
	resp, err := cli.Get(ctxWithTimeout(t), "foo")
	require.NoError(t, err)
	assert.Empty(t, resp.Kvs, "a cluster on a fresh data dir starts empty")
}
