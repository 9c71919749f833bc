package backend

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadBufferForEachMergesWithCommitted(t *testing.T) {
	tests := []struct {
		name              string
		committed, buffer string // space-separated keys; a buffered key's value is "b", a committed one's "c"
		from, to          string
		stopAfter         int // 0: never stop
		want              string
	}{
		{"buffer only", "", "a b", "", "", 0, "a=b b=b"},
		{"committed only", "a b", "", "", "", 0, "a=c b=c"},
		{"interleaved", "a c e", "b d f", "", "", 0, "a=c b=b c=c d=b e=c f=b"},
		{"the buffer's value wins", "a b c", "b", "", "", 0, "a=c b=b c=c"},
		{"within from and to", "a c e", "b d f", "b", "e", 0, "b=b c=c d=b"},
		{"stopped early", "a c e", "b d f", "", "", 3, "a=c b=b c=c"},
		{"stopped in the buffer's tail", "a", "b c d", "", "", 2, "a=c b=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rb readBuffer
			for _, k := range strings.Fields(tt.buffer) {
				rb.put([]byte(k), []byte("b"))
			}
			committed := strings.Fields(tt.committed)
			var from, to []byte
			if tt.from != "" {
				from = []byte(tt.from)
			}
			if tt.to != "" {
				to = []byte(tt.to)
			}
			var got []string
			rb.forEach(from, to, func(f func(k, v []byte) bool) {
				for _, k := range committed {
					if (from == nil || k >= tt.from) && (to == nil || k < tt.to) && !f([]byte(k), []byte("c")) {
						return
					}
				}
			}, func(k, v []byte) bool {
				got = append(got, string(k)+"="+string(v))
				return tt.stopAfter == 0 || len(got) < tt.stopAfter
			})
			require.Equal(t, tt.want, strings.Join(got, " "), "keys in order, each once, the buffered value where both have one")
		})
	}
}

func TestReadBufferPutOutOfOrderKeepsOldCopiesIntact(t *testing.T) {
	var rb readBuffer
	rb.put([]byte("b"), []byte("1"))
	rb.put([]byte("d"), []byte("1"))
	reader := rb // what a reader copied
	rb.put([]byte("a"), []byte("2"))
	rb.put([]byte("d"), []byte("2"))
	require.Equal(t, "1", string(reader.get([]byte("d"))), "a reader's copy does not change under later writes")
	require.Nil(t, reader.get([]byte("a")), "a reader's copy does not see later writes")
	require.Equal(t, "2", string(rb.get([]byte("a"))))
	require.Equal(t, "2", string(rb.get([]byte("d"))))
}

// With BufferedReads, a write is readable as soon as its writer unlocks, before the commit.
func TestBufferedReadsSeeWritesBeforeTheCommit(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		t.Run(fmt.Sprintf("buffered=%v", buffered), func(t *testing.T) {
			b, err := New(BackendConfig{Path: filepath.Join(t.TempDir(), "db"), BatchInterval: time.Hour, BufferedReads: buffered})
			require.NoError(t, err)
			defer b.Close()
			b.Lock()
			b.UnsafePut(Key, []byte("k1"), []byte("v1"))
			b.Unlock()
			require.NoError(t, b.WaitCommit(context.Background()))
			b.Lock()
			b.UnsafePut(Key, []byte("k2"), []byte("v2"))
			b.UnsafePut(Meta, []byte("m"), []byte("x"))
			b.Unlock()

			var keys []string
			require.NoError(t, b.View(func(tx *ReadTx) error {
				tx.ForEach(Key, nil, nil, func(k, _ []byte) bool { keys = append(keys, string(k)); return true })
				if buffered {
					require.Equal(t, "v2", string(tx.Get(Key, []byte("k2"))), "a buffered write is readable before its commit")
				} else {
					require.Nil(t, tx.Get(Key, []byte("k2")), "without BufferedReads readers see only what is committed")
				}
				require.Nil(t, tx.Get(Meta, []byte("m")), "only the Key bucket is buffered")
				return nil
			}))
			if buffered {
				require.Equal(t, []string{"k1", "k2"}, keys)
			} else {
				require.Equal(t, []string{"k1"}, keys)
			}
		})
	}
}

// The invariant readers rely on, under commits that come at any moment: every write whose Unlock
// has returned is readable, from the buffer or from bbolt, never from neither.
func TestBufferedReadsNeverLoseAWriteAcrossCommits(t *testing.T) {
	b, err := New(BackendConfig{Path: filepath.Join(t.TempDir(), "db"), BatchInterval: time.Millisecond, BatchLimit: 7, BufferedReads: true})
	require.NoError(t, err)
	defer b.Close()
	const writes = 1000
	var published atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= writes; i++ {
			b.Lock()
			b.UnsafePut(Key, fmt.Appendf(nil, "k%06d", i), []byte("v"))
			b.Unlock()
			published.Store(int64(i))
		}
	}()
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for published.Load() < writes {
				n := published.Load()
				tx, err := b.ReadTx()
				if err != nil {
					errs <- err
					return
				}
				for j := n; j >= max(1, n-20); j-- {
					if tx.Get(Key, fmt.Appendf(nil, "k%06d", j)) == nil {
						errs <- fmt.Errorf("k%06d was written and unlocked, but a reader that began after sees it neither in the buffer nor in bbolt", j)
						break
					}
				}
				tx.End()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
