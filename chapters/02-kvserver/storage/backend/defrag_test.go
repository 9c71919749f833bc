package backend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fill writes n keys of 1 KiB into Key and commits them.
func fill(t *testing.T, b *Backend, n int) {
	t.Helper()
	b.Lock()
	for i := range n {
		b.UnsafePut(Key, fmt.Appendf(nil, "k%06d", i), make([]byte, 1024))
	}
	b.Unlock()
	require.NoError(t, b.WaitCommit(context.Background()))
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Size()
}

func TestDefragShrinksTheFileAndKeepsTheData(t *testing.T) {
	tests := []struct {
		name         string
		written, del int // keys written, then deleted from the front
	}{
		{"an empty database", 0, 0},
		{"everything deleted", 2000, 2000},
		{"half deleted", 2000, 1000},
		{"more keys than one copy transaction holds", defragLimit + 500, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db")
			b, err := Open(path)
			require.NoError(t, err)
			fill(t, b, tt.written)
			b.Lock()
			for i := range tt.del {
				b.UnsafeDelete(Key, fmt.Appendf(nil, "k%06d", i))
			}
			b.UnsafePut(Meta, []byte("m"), []byte("meta survives"))
			b.UnsafePut(Alarm, []byte("a"), nil)
			b.Unlock() // not committed yet: Defrag must commit it first
			sizeBefore, fileBefore := b.Size(), fileSize(t, path)

			require.NoError(t, b.Defrag())

			require.LessOrEqual(t, b.Size(), sizeBefore, "Size, what the quota checks, never grows in a defragmentation")
			require.Less(t, fileSize(t, path), fileBefore, "the new file holds no free pages, and no 16 MiB of preallocation either")
			if tt.del > 0 {
				require.Less(t, b.Size(), sizeBefore, "the pages of the deleted keys are given back")
			}
			check := func(b *Backend) {
				require.NoError(t, b.View(func(tx *ReadTx) error {
					n := 0
					tx.ForEach(Key, nil, nil, func(k, v []byte) bool {
						require.Equal(t, fmt.Appendf(nil, "k%06d", tt.del+n), k, "the keys are all there, in order")
						require.Len(t, v, 1024)
						n++
						return true
					})
					require.Equal(t, tt.written-tt.del, n, "every key that was not deleted survives")
					require.Equal(t, []byte("meta survives"), tx.Get(Meta, []byte("m")), "the batch pending at Defrag is committed into the new file")
					require.NotNil(t, tx.Get(Alarm, []byte("a")), "every bucket is copied")
					return nil
				}))
			}
			check(b)

			// The backend goes on working on the new file, and the file is complete on disk.
			b.Lock()
			b.UnsafePut(Key, []byte("zz-after"), []byte("v"))
			b.Unlock()
			require.NoError(t, b.WaitCommit(context.Background()))
			require.NoError(t, b.Close())
			b, err = Open(path)
			require.NoError(t, err)
			defer b.Close()
			require.NoError(t, b.View(func(tx *ReadTx) error {
				require.Equal(t, []byte("v"), tx.Get(Key, []byte("zz-after")), "a write after Defrag is committed to the new file")
				return nil
			}))
			b.Lock()
			b.UnsafeDelete(Key, []byte("zz-after"))
			b.Unlock()
			require.NoError(t, b.WaitCommit(context.Background()))
			check(b)
			matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), "db.tmp.*"))
			require.NoError(t, err)
			require.Empty(t, matches, "no temporary file is left behind")
		})
	}
}

// TestDefragWithConcurrentReadersAndWriters defragments again and again while writers write and
// wait for their commits and readers read: nobody may fail, block forever or see a key vanish,
// and every acknowledged write must be in the final file. Run it with -race.
func TestDefragWithConcurrentReadersAndWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	b, err := Open(path)
	require.NoError(t, err)
	var commits atomic.Int64
	b.AddHooks(Hooks{PostCommit: func() { commits.Add(1) }})
	fill(t, b, 500)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stop := make(chan struct{})
	var acked sync.Map // key -> struct{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Appendf(nil, "w%d-%06d", w, i)
				b.Lock()
				b.UnsafePut(Key, k, []byte("v"))
				b.Unlock()
				if err := b.WaitCommit(ctx); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				acked.Store(string(k), struct{}{})
			}
		})
	}
	for r := range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if r%2 == 0 {
					err = b.View(func(tx *ReadTx) error {
						if v := tx.Get(Key, []byte("k000499")); len(v) != 1024 {
							return fmt.Errorf("reader %d: k000499 is %d bytes, want 1024", r, len(v))
						}
						return nil
					})
				} else {
					var tx *ReadTx
					if tx, err = b.ReadTx(); err == nil {
						n := 0
						tx.ForEach(Key, []byte("k"), []byte("l"), func(_, _ []byte) bool { n++; return true })
						tx.End()
						if n != 500 {
							err = fmt.Errorf("reader %d: %d of the 500 first keys", r, n)
						}
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				_ = b.Size()
				_ = b.SizeInUse()
			}
		})
	}
	for range 5 {
		require.NoError(t, b.Defrag(), "Defrag while others read and write")
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	require.Positive(t, commits.Load())
	require.NoError(t, b.Close())

	b, err = Open(path)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.View(func(tx *ReadTx) error {
		acked.Range(func(k, _ any) bool {
			require.NotNil(t, tx.Get(Key, []byte(k.(string))), "acknowledged write %s survives the defragmentations", k)
			return true
		})
		return nil
	}))
}

func TestDefragAfterCloseIsRefused(t *testing.T) {
	b, err := Open(filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	require.NoError(t, b.Close())
	require.ErrorIs(t, b.Defrag(), ErrClosed, "a closed backend has no file to defragment")
}
