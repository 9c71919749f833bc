package backend

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestWaitCommitMakesWritesDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	b, err := Open(path)
	require.NoError(t, err)
	var commits atomic.Int64
	b.AddHooks(Hooks{PostCommit: func() { commits.Add(1) }})

	b.Lock()
	b.UnsafePut(Key, []byte("k1"), []byte("v1"))
	require.Equal(t, []byte("v1"), b.UnsafeGet(Key, []byte("k1")), "the batch reads its own writes")
	b.Unlock()
	require.NoError(t, b.View(func(tx *ReadTx) error {
		require.Nil(t, tx.Get(Key, []byte("k1")), "readers see only committed data")
		return nil
	}))
	require.NoError(t, b.WaitCommit(context.Background()))
	require.Equal(t, int64(1), commits.Load())
	require.NoError(t, b.View(func(tx *ReadTx) error {
		require.Equal(t, []byte("v1"), tx.Get(Key, []byte("k1")), "after WaitCommit the write is committed")
		return nil
	}))
	require.NoError(t, b.Close())

	b, err = Open(path)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.View(func(tx *ReadTx) error {
		require.Equal(t, []byte("v1"), tx.Get(Key, []byte("k1")), "and on disk")
		return nil
	}))
}

func TestConcurrentWritersAllCommit(t *testing.T) {
	b, err := Open(filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	defer b.Close()
	const writers = 32
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			b.Lock()
			b.UnsafePut(Key, []byte{byte(i)}, []byte("v"))
			b.Unlock()
			if err := b.WaitCommit(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	require.NoError(t, b.View(func(tx *ReadTx) error {
		tx.ForEach(Key, nil, nil, func(_, _ []byte) bool { n++; return true })
		return nil
	}))
	require.Equal(t, writers, n, "every writer whose WaitCommit returned is committed")
}

func TestWaitCommitGivesUpWithContext(t *testing.T) {
	b, err := Open(filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	defer b.Close()
	b.Lock() // a commit cannot happen while the batch is held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = b.WaitCommit(ctx)
	b.Unlock()
	require.ErrorIs(t, err, context.Canceled, "a waiter whose context ends stops waiting")
}

func TestCloseCommitsAndRefusesLaterWaiters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	b, err := Open(path)
	require.NoError(t, err)
	b.Lock()
	b.UnsafePut(Meta, []byte("m"), []byte("1"))
	b.Unlock()
	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "Close is idempotent")
	require.ErrorIs(t, b.WaitCommit(context.Background()), ErrClosed)

	b, err = Open(path)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.View(func(tx *ReadTx) error {
		require.Equal(t, []byte("1"), tx.Get(Meta, []byte("m")), "Close committed the pending batch")
		return nil
	}))
}
