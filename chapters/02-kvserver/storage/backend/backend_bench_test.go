package backend

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// The backend's benchmarks show what one durable write costs at the bottom of the stack, and how
// group commit shares that cost between concurrent writers. Run them with
//
//	go test -run XXX -bench . -benchtime 2s ./storage/backend
//
// BenchmarkFsync is the floor: no write can be acknowledged faster than the disk syncs a file.

// openBenchBackend opens a fresh backend in the benchmark's temporary directory.
func openBenchBackend(b *testing.B) *Backend {
	b.Helper()
	be, err := Open(filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() {
		if err := be.Close(); err != nil {
			b.Errorf("Close: %v", err)
		}
	})
	return be
}

// benchCountCommits registers a PostCommit hook and returns the counter it increments: one per bbolt
// commit that carried writes, that is one per fsync of the batch.
func benchCountCommits(be *Backend) *atomic.Int64 {
	var n atomic.Int64
	be.AddHooks(Hooks{PostCommit: func() { n.Add(1) }})
	return &n
}

func benchKey(i uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, i)
	return k
}

// BenchmarkFsync measures writing 4 KiB (a bbolt page) into a file and syncing it: the cost of the
// one fsync every acknowledged write of chapter 02 waits for. (bbolt's commit syncs twice: the
// data pages, then the meta page.)
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	b.SetBytes(int64(len(page)))
	for i := 0; b.Loop(); i++ {
		if _, err := f.WriteAt(page, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackendPutCommit is one writer: a 256-byte put, then WaitCommit. Every write pays a
// whole bbolt commit (two fsyncs), as in the sequential store benchmark.
func BenchmarkBackendPutCommit(b *testing.B) {
	be := openBenchBackend(b)
	commits := benchCountCommits(be)
	val := make([]byte, 256)
	ctx := context.Background()
	for i := uint64(0); b.Loop(); i++ {
		be.Lock()
		be.UnsafePut(Key, benchKey(i), val)
		be.Unlock()
		if err := be.WaitCommit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/float64(max(commits.Load(), 1)), "writes/commit")
}

// BenchmarkBackendPutCommitParallel is many writers doing what BenchmarkBackendPutCommit does.
// Writers that arrive while a commit is in progress share the next one: writes/commit is the size
// of the groups, and ns/op falls as it grows.
func BenchmarkBackendPutCommitParallel(b *testing.B) {
	for _, perCPU := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("writers=%dxGOMAXPROCS", perCPU), func(b *testing.B) {
			be := openBenchBackend(b)
			commits := benchCountCommits(be)
			val := make([]byte, 256)
			var next atomic.Uint64
			b.SetParallelism(perCPU)
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					be.Lock()
					be.UnsafePut(Key, benchKey(next.Add(1)), val)
					be.Unlock()
					if err := be.WaitCommit(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/float64(max(commits.Load(), 1)), "writes/commit")
		})
	}
}

// BenchmarkBackendReadTx is a read of one committed key in a read transaction of its own, as every
// Range of the store does.
func BenchmarkBackendReadTx(b *testing.B) {
	be := openBenchBackend(b)
	const keys = 1000
	val := make([]byte, 256)
	be.Lock()
	for i := range uint64(keys) {
		be.UnsafePut(Key, benchKey(i), val)
	}
	be.Unlock()
	if err := be.ForceCommit(); err != nil {
		b.Fatal(err)
	}
	for i := uint64(0); b.Loop(); i++ {
		tx, err := be.ReadTx()
		if err != nil {
			b.Fatal(err)
		}
		if tx.Get(Key, benchKey(i%keys)) == nil {
			b.Fatal("a committed key is missing")
		}
		tx.End()
	}
}
