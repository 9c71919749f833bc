package backend

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// newTestBackend opens a backend with cfg in a temporary directory, closed at the end of the test,
// and returns it with a counter of the commits that carried writes.
func newTestBackend(t *testing.T, cfg BackendConfig) (*Backend, *atomic.Int64) {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "db")
	}
	b, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	var commits atomic.Int64
	b.AddHooks(Hooks{PostCommit: func() { commits.Add(1) }})
	return b, &commits
}

func put(b *Backend, key string) {
	b.Lock()
	b.UnsafePut(Key, []byte(key), []byte("v"))
	b.Unlock()
}

// committed reports whether a fresh ReadTx sees key, that is whether key has been committed.
func committed(t *testing.T, b *Backend, key string) bool {
	tx, err := b.ReadTx()
	require.NoError(t, err)
	defer tx.End()
	return tx.Get(Key, []byte(key)) != nil
}

// A write nobody waits for is committed by the timer when BatchInterval is set, and stays in the
// batch (invisible to readers) when it is not.
func TestBatchIntervalCommitsUnwaitedWrites(t *testing.T) {
	for _, tc := range []struct {
		name          string
		cfg           BackendConfig
		wantCommitted bool
	}{
		{"no interval: only a waiting writer commits", BackendConfig{}, false},
		{"limit alone does not commit below it", BackendConfig{BatchLimit: 100}, false},
		{"interval: the timer commits", BackendConfig{BatchInterval: 10 * time.Millisecond}, true},
		{"interval and limit", BackendConfig{BatchInterval: 10 * time.Millisecond, BatchLimit: 100}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := newTestBackend(t, tc.cfg)
			put(b, "k")
			visible := func() bool { return committed(t, b, "k") }
			if tc.wantCommitted {
				require.Eventually(t, visible, 10*time.Second, 5*time.Millisecond,
					"with BatchInterval %v a write nobody waits for should reach readers within about the interval", tc.cfg.BatchInterval)
			} else {
				require.Never(t, visible, 300*time.Millisecond, 10*time.Millisecond,
					"without BatchInterval nothing but a waiting writer, ForceCommit or Close should commit the batch")
			}
		})
	}
}

// BatchLimit commits in the Unlock after which the batch holds the limit's number of writes,
// counting each UnsafePut and UnsafeDelete, however they are grouped between Lock and Unlock.
func TestBatchLimitCommitsAfterNWrites(t *testing.T) {
	del := func(b *Backend, key string) { b.UnsafeDelete(Key, []byte(key)) }
	ins := func(b *Backend, key string) { b.UnsafePut(Key, []byte(key), []byte("v")) }
	for _, tc := range []struct {
		name  string
		limit int
		locks [][]func(*Backend, string) // the writes of each Lock..Unlock, in order
	}{
		{"limit 1: every write", 1, [][]func(*Backend, string){{ins}}},
		{"one write per lock", 3, [][]func(*Backend, string){{ins}, {ins}, {ins}}},
		{"all writes under one lock", 3, [][]func(*Backend, string){{ins, ins, ins}}},
		{"deletes count too", 3, [][]func(*Backend, string){{ins}, {del, del}}},
		{"a lock that crosses the limit", 3, [][]func(*Backend, string){{ins, ins}, {ins, ins}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, commits := newTestBackend(t, BackendConfig{BatchLimit: tc.limit})
			n := 0
			for i, writes := range tc.locks {
				b.Lock()
				for _, w := range writes {
					w(b, fmt.Sprint("k", n))
					n++
				}
				b.Unlock()
				if i < len(tc.locks)-1 {
					require.Zero(t, commits.Load(), "after %d of %d writes the batch should not be committed yet", n, tc.limit)
				}
			}
			require.Equal(t, int64(1), commits.Load(), "the Unlock that brings the batch to %d writes should commit it", tc.limit)
			require.True(t, committed(t, b, "k0"), "a reader should see the writes of the batch the limit committed")

			for i := range tc.limit - 1 {
				put(b, fmt.Sprint("next", i))
			}
			require.Equal(t, int64(1), commits.Load(), "the count should start again from zero after a commit")
		})
	}
}

// Whatever the policy, a writer that waits is answered at once with its write committed, also
// when many write and wait together and the limit commits from under them.
func TestWaitCommitUnderEveryPolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  BackendConfig
	}{
		{"commit on wait", BackendConfig{}},
		{"interval far away", BackendConfig{BatchInterval: time.Hour}},
		{"short interval", BackendConfig{BatchInterval: time.Millisecond}},
		{"limit far away", BackendConfig{BatchLimit: 1 << 20}},
		{"small limit", BackendConfig{BatchLimit: 3}},
		{"etcd's defaults", BackendConfig{BatchInterval: DefaultBatchInterval, BatchLimit: DefaultBatchLimit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := newTestBackend(t, tc.cfg)
			// Bounded, so that a WaitCommit that waits for the interval fails instead of hanging.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			const writers = 16
			var wg sync.WaitGroup
			errs := make([]error, writers)
			for i := range writers {
				wg.Go(func() {
					put(b, fmt.Sprint("k", i))
					errs[i] = b.WaitCommit(ctx)
				})
			}
			wg.Wait()
			for i, err := range errs {
				require.NoError(t, err, "WaitCommit of writer %d should return once its write is committed, not wait for the interval", i)
				require.True(t, committed(t, b, fmt.Sprint("k", i)), "writer %d's WaitCommit returned, so its write should be committed", i)
			}
		})
	}
}

// Close commits what is still pending under every policy, so nothing written is lost at a clean stop.
func TestCloseCommitsPendingUnderEveryPolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  BackendConfig
	}{
		{"commit on wait", BackendConfig{}},
		{"interval", BackendConfig{BatchInterval: time.Hour}},
		{"limit", BackendConfig{BatchLimit: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Path = filepath.Join(t.TempDir(), "db")
			b, err := New(cfg)
			require.NoError(t, err)
			// The hook chapter 03 saves its consistent index with must run at this commit too.
			b.AddHooks(Hooks{PreCommit: func() { b.UnsafePut(Meta, []byte("hook"), []byte("ran")) }})
			put(b, "k")
			require.NoError(t, b.Close())

			b, err = Open(cfg.Path)
			require.NoError(t, err)
			defer b.Close()
			require.True(t, committed(t, b, "k"), "Close should have committed the write still pending in the batch")
			require.NoError(t, b.View(func(tx *ReadTx) error {
				require.Equal(t, "ran", string(tx.Get(Meta, []byte("hook"))),
					"Close commits the last batch with the PreCommit hooks, as every other commit")
				return nil
			}))
		})
	}
}

func TestNewRefusesNegativePolicy(t *testing.T) {
	for _, cfg := range []BackendConfig{{BatchInterval: -time.Second}, {BatchLimit: -1}} {
		cfg.Path = filepath.Join(t.TempDir(), "db")
		_, err := New(cfg)
		require.Error(t, err, "New(%+v) should refuse a negative batch interval or limit", cfg)
	}
}
