package mvcc

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"etcdwalk/chapters/02-kvserver/storage/backend"
)

// The store's benchmarks: the cost of a durable Put alone and under concurrency (group commit), of
// a Range, and of the in-memory index. Run them with
//
//	go test -run XXX -bench . -benchtime 2s ./storage/mvcc
//
// A Put is acknowledged only once the bbolt commit carrying it is on disk, so BenchmarkStorePut is
// bound by the disk's fsync; BenchmarkStorePutParallel shows how many writes one commit carries
// when many clients write at once (the writes/commit metric).

// benchKeySpace is how many distinct keys the put benchmarks cycle through, as a load generator
// with a fixed key space does: the index then holds many revisions per key.
const benchKeySpace = 10000

// openBenchStore opens a store on a fresh backend in the benchmark's temporary directory, and
// counts the bbolt commits that carried writes (one fsync of the batch each).
func openBenchStore(b *testing.B) (*Store, *atomic.Int64) {
	b.Helper()
	be, err := backend.Open(filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatalf("backend.Open: %v", err)
	}
	s, err := New(be)
	if err != nil {
		be.Close()
		b.Fatalf("New: %v", err)
	}
	var commits atomic.Int64
	be.AddHooks(backend.Hooks{PostCommit: func() { commits.Add(1) }})
	b.Cleanup(func() {
		s.Close()
		if err := be.Close(); err != nil {
			b.Errorf("backend Close: %v", err)
		}
	})
	return s, &commits
}

func benchPutKey(i uint64) []byte { return fmt.Appendf(nil, "key/%08d", i%benchKeySpace) }

// benchPut is one Put request's work in the store: a write transaction of its own, ended by waiting for
// its commit.
func benchPut(b *testing.B, s *Store, key, val []byte) {
	tw := s.Write()
	tw.Put(key, val, 0)
	if err := tw.End(context.Background()); err != nil {
		b.Error(err)
	}
}

// BenchmarkStorePut is one client putting 256-byte values, one at a time.
func BenchmarkStorePut(b *testing.B) {
	s, commits := openBenchStore(b)
	val := make([]byte, 256)
	for i := uint64(0); b.Loop(); i++ {
		benchPut(b, s, benchPutKey(i), val)
	}
	b.ReportMetric(float64(b.N)/float64(max(commits.Load(), 1)), "writes/commit")
}

// BenchmarkStorePutParallel is many clients putting at once. With GOMAXPROCS=2, writers=32xGOMAXPROCS
// is 64 goroutines, about the 50 clients of the load run in docs/benchmarks.md.
func BenchmarkStorePutParallel(b *testing.B) {
	for _, perCPU := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("writers=%dxGOMAXPROCS", perCPU), func(b *testing.B) {
			s, commits := openBenchStore(b)
			val := make([]byte, 256)
			var next atomic.Uint64
			b.SetParallelism(perCPU)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchPut(b, s, benchPutKey(next.Add(1)), val)
				}
			})
			b.ReportMetric(float64(b.N)/float64(max(commits.Load(), 1)), "writes/commit")
		})
	}
}

// BenchmarkStoreRange reads from a store holding benchKeySpace keys plus a 100-key prefix: one key,
// then the whole prefix, each in a read transaction of its own (what a RangeRequest does).
func BenchmarkStoreRange(b *testing.B) {
	s, _ := openBenchStore(b)
	val := make([]byte, 256)
	tw := s.Write()
	for i := range uint64(benchKeySpace) {
		tw.Put(benchPutKey(i), val, 0)
	}
	for i := range 100 {
		tw.Put(fmt.Appendf(nil, "prefix/%03d", i), val, 0)
	}
	if err := tw.End(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	rangeBench := func(b *testing.B, key func(i uint64) []byte, end []byte, want int) {
		for i := uint64(0); b.Loop(); i++ {
			tr, err := s.Read()
			if err != nil {
				b.Fatal(err)
			}
			res, err := tr.Range(ctx, key(i), end, RangeOptions{})
			tr.End()
			if err != nil {
				b.Fatal(err)
			}
			if len(res.KVs) != want {
				b.Fatalf("got %d pairs, want %d", len(res.KVs), want)
			}
		}
	}
	b.Run("key", func(b *testing.B) {
		rangeBench(b, benchPutKey, nil, 1)
	})
	b.Run("prefix100", func(b *testing.B) {
		prefix := []byte("prefix/")
		rangeBench(b, func(uint64) []byte { return prefix }, []byte("prefix0"), 100)
	})
}

// BenchmarkIndexGet looks up one key's newest revision in a treeIndex of benchKeySpace keys with
// ten revisions each: the in-memory part of every read and every write.
func BenchmarkIndexGet(b *testing.B) {
	ti := newTreeIndex()
	keys := make([][]byte, benchKeySpace)
	for i := range keys {
		keys[i] = benchPutKey(uint64(i))
	}
	rev := int64(1)
	for range 10 {
		for _, k := range keys {
			rev++
			ti.Put(k, Revision{Main: rev})
		}
	}
	for i := 0; b.Loop(); i++ {
		if _, _, _, err := ti.Get(keys[i%len(keys)], rev); err != nil {
			b.Fatal(err)
		}
	}
}
