package mvcc

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"etcdwalk/chapters/02-kvserver/storage/backend"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// openStore opens a store on a bbolt file in dir; the returned close function stops both.
func openStore(t *testing.T, dir string) (*Store, func()) {
	t.Helper()
	be, err := backend.Open(filepath.Join(dir, "db"))
	require.NoError(t, err)
	s, err := New(be)
	require.NoError(t, err)
	var once sync.Once
	closeFn := func() {
		once.Do(func() {
			s.Close()
			require.NoError(t, be.Close())
		})
	}
	t.Cleanup(closeFn)
	return s, closeFn
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, s *Store, key, value string) int64 {
	t.Helper()
	tw := s.Write()
	rev := tw.Put([]byte(key), []byte(value), 0)
	require.NoError(t, tw.End(testCtx(t)))
	return rev
}

func mustDelete(t *testing.T, s *Store, key string) int64 {
	t.Helper()
	tw := s.Write()
	_, rev := tw.DeleteRange([]byte(key), nil)
	require.NoError(t, tw.End(testCtx(t)))
	return rev
}

// get reads key at rev (0: newest) and returns "value@mod/create/version", "" if absent.
func readAt(t *testing.T, s *Store, key string, rev int64) (string, error) {
	t.Helper()
	tr, err := s.Read()
	require.NoError(t, err)
	defer tr.End()
	rr, err := tr.Range(testCtx(t), []byte(key), nil, RangeOptions{Rev: rev})
	if err != nil {
		return "", err
	}
	if len(rr.KVs) == 0 {
		return "", nil
	}
	kv := rr.KVs[0]
	return fmt.Sprintf("%s@%d/%d/v%d", kv.Value, kv.ModRevision, kv.CreateRevision, kv.Version), nil
}

// history writes foo: put@2 put@3 delete@4 put@5, and bar: put@6.
func history(t *testing.T, s *Store) {
	require.Equal(t, int64(2), mustPut(t, s, "foo", "a"))
	require.Equal(t, int64(3), mustPut(t, s, "foo", "b"))
	require.Equal(t, int64(4), mustDelete(t, s, "foo"))
	require.Equal(t, int64(5), mustPut(t, s, "foo", "c"))
	require.Equal(t, int64(6), mustPut(t, s, "bar", "x"))
}

func TestStoreReadsEveryRevision(t *testing.T) {
	s, _ := openStore(t, t.TempDir())
	require.Equal(t, int64(1), s.Rev(), "a fresh store is at revision 1, as etcd's")
	history(t, s)
	tests := []struct {
		rev  int64
		want string
	}{
		{1, ""},
		{2, "a@2/2/v1"},
		{3, "b@3/2/v2"},
		{4, ""},         // deleted
		{5, "c@5/5/v1"}, // created again: a new generation, version 1
		{6, "c@5/5/v1"},
		{0, "c@5/5/v1"},
	}
	for _, tt := range tests {
		got, err := readAt(t, s, "foo", tt.rev)
		require.NoError(t, err, "read foo at %d", tt.rev)
		require.Equal(t, tt.want, got, "foo at revision %d", tt.rev)
	}
	_, err := readAt(t, s, "foo", 7)
	require.ErrorIs(t, err, ErrFutureRev)
}

func TestStoreDeleteNothingKeepsRevision(t *testing.T) {
	s, _ := openStore(t, t.TempDir())
	history(t, s)
	require.Equal(t, int64(6), mustDelete(t, s, "missing"), "a delete that deletes nothing reports the current revision")
	require.Equal(t, int64(6), s.Rev(), "and creates none")
}

func TestStoreTxnWriteSharesOneRevision(t *testing.T) {
	s, _ := openStore(t, t.TempDir())
	tw := s.Write()
	require.Equal(t, int64(2), tw.Put([]byte("a"), []byte("1"), 0))
	require.Equal(t, int64(2), tw.Put([]byte("b"), []byte("1"), 0))
	rr, err := tw.Range(testCtx(t), []byte("a"), []byte("c"), RangeOptions{})
	require.NoError(t, err)
	require.Len(t, rr.KVs, 2, "a write txn reads its own writes")
	require.Equal(t, int64(2), rr.Rev, "at the revision it is creating")
	n, rev := tw.DeleteRange([]byte("a"), nil)
	require.Equal(t, [2]int64{1, 2}, [2]int64{n, rev})
	require.NoError(t, tw.End(testCtx(t)))
	require.Equal(t, int64(2), s.Rev(), "one write txn, one revision")
	got, err := readAt(t, s, "b", 0)
	require.NoError(t, err)
	require.Equal(t, "1@2/2/v1", got)
}

func TestStoreRestoresAfterReopen(t *testing.T) {
	dir := t.TempDir()
	s, closeFn := openStore(t, dir)
	history(t, s)
	closeFn()

	s, _ = openStore(t, dir)
	require.Equal(t, int64(6), s.Rev(), "the revision survives a restart")
	for rev, want := range map[int64]string{3: "b@3/2/v2", 4: "", 5: "c@5/5/v1"} {
		got, err := readAt(t, s, "foo", rev)
		require.NoError(t, err)
		require.Equal(t, want, got, "foo at %d after restart", rev)
	}
	require.Equal(t, int64(7), mustPut(t, s, "foo", "d"), "writes continue from the restored revision")
	got, err := readAt(t, s, "foo", 0)
	require.NoError(t, err)
	require.Equal(t, "d@7/5/v2", got, "the restored generation keeps counting versions")
}

// keysInBackend counts the entries of the key bucket: one per revision still stored.
func keysInBackend(t *testing.T, s *Store) int {
	n := 0
	require.NoError(t, s.b.View(func(tx *backend.ReadTx) error {
		tx.ForEach(backend.Key, nil, nil, func(_, _ []byte) bool { n++; return true })
		return nil
	}))
	return n
}

func TestStoreCompact(t *testing.T) {
	dir := t.TempDir()
	s, closeFn := openStore(t, dir)
	history(t, s)
	require.Equal(t, 5, keysInBackend(t, s), "five changes, five entries")

	_, err := s.Compact(testCtx(t), 7)
	require.ErrorIs(t, err, ErrFutureRev, "cannot compact the future")

	done, err := s.Compact(testCtx(t), 4)
	require.NoError(t, err)
	<-done
	_, err = readAt(t, s, "foo", 3)
	require.ErrorIs(t, err, ErrCompacted, "below the compaction revision nothing is readable")
	got, err := readAt(t, s, "foo", 4)
	require.NoError(t, err, "the compaction revision itself stays readable")
	require.Equal(t, "", got, "foo was deleted at 4")
	got, err = readAt(t, s, "foo", 5)
	require.NoError(t, err)
	require.Equal(t, "c@5/5/v1", got)
	// Left: the tombstone at 4 (a read at 4 must find foo deleted), put@5 and bar's put@6.
	require.Equal(t, 3, keysInBackend(t, s), "the physical compaction removed the superseded revisions from bbolt")

	_, err = s.Compact(testCtx(t), 4)
	require.ErrorIs(t, err, ErrCompacted, "compacting again at the same revision is refused")

	closeFn()
	s, _ = openStore(t, dir)
	_, err = readAt(t, s, "foo", 3)
	require.ErrorIs(t, err, ErrCompacted, "the compaction survives a restart")
	require.Equal(t, int64(6), s.Rev())
}

func TestStoreRevisionSurvivesFullCompaction(t *testing.T) {
	dir := t.TempDir()
	s, closeFn := openStore(t, dir)
	mustPut(t, s, "k", "v")
	mustDelete(t, s, "k")
	mustPut(t, s, "k2", "v")
	mustDelete(t, s, "k2") // rev 5
	done, err := s.Compact(testCtx(t), 5)
	require.NoError(t, err)
	<-done
	done, err = s.Compact(testCtx(t), 5+0)
	require.ErrorIs(t, err, ErrCompacted)
	require.Nil(t, done)
	closeFn()

	s, _ = openStore(t, dir)
	require.Equal(t, int64(5), s.Rev(), "a restart never takes the revision back, even with nothing left in bbolt")
}

func TestStoreCompactResumesAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s, closeFn := openStore(t, dir)
	history(t, s)
	// A crash between recording the compaction and finishing it leaves only the schedule behind.
	s.b.Lock()
	s.b.UnsafePut(backend.Meta, scheduledCompactKeyName, revToBytes(Revision{Main: 4}, false))
	s.b.Unlock()
	require.NoError(t, s.b.ForceCommit())
	closeFn()

	s, _ = openStore(t, dir)
	_, err := readAt(t, s, "foo", 3)
	require.ErrorIs(t, err, ErrCompacted, "the scheduled compaction is in force after restart")
	require.Equal(t, 3, keysInBackend(t, s), "and New finished it physically")
}

func TestStoreConcurrentWritersGetDistinctRevisions(t *testing.T) {
	s, _ := openStore(t, t.TempDir())
	const writers, each = 16, 25
	revs := make(chan int64, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				tw := s.Write()
				revs <- tw.Put([]byte(fmt.Sprintf("w%d", w)), []byte(fmt.Sprint(i)), 0)
				if err := tw.End(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	close(revs)
	seen := map[int64]bool{}
	for r := range revs {
		require.False(t, seen[r], "revision %d handed out twice", r)
		seen[r] = true
	}
	require.Len(t, seen, writers*each)
	require.Equal(t, int64(1+writers*each), s.Rev(), "revisions are contiguous")
	for w := range writers {
		got, err := readAt(t, s, fmt.Sprintf("w%d", w), 0)
		require.NoError(t, err)
		require.Contains(t, got, fmt.Sprintf("%d@", each-1), "each writer's last value is durable and visible")
	}
}

func TestStoreDeferSyncWaitsOnceForMany(t *testing.T) {
	s, _ := openStore(t, t.TempDir())
	s.DeferSync(true)
	for i := range 3 {
		tw := s.Write()
		tw.Put([]byte("k"), []byte(fmt.Sprint(i)), 0)
		require.NoError(t, tw.End(testCtx(t)), "End returns at once")
	}
	got, err := readAt(t, s, "k", 0)
	require.NoError(t, err)
	require.Equal(t, "", got, "nothing is committed yet, so readers see nothing")
	require.Equal(t, int64(1), s.Rev(), "readers' revision stays at the last durable one")

	require.NoError(t, s.Sync(testCtx(t)))
	require.Equal(t, int64(4), s.Rev(), "one Sync made all three writes durable")
	got, err = readAt(t, s, "k", 0)
	require.NoError(t, err)
	require.Equal(t, "2@4/2/v3", got)
}
