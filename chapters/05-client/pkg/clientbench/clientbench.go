package clientbench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// KV is what the benchmarks need of a client. Get returns the value of the key it read (nil if
// the key is absent), so that a benchmark can tell a read of the value from an empty answer.
type KV interface {
	Put(ctx context.Context, key, val string) error
	Get(ctx context.Context, key string, serializable bool) ([]byte, error)
}

// The load's shape: the sizes and the concurrency of interop/loadrun's load runs.
const (
	KeySize  = 8
	ValSize  = 256
	KeySpace = 10000
	// GetKey is the key the get benchmarks read; it holds a ValSize value.
	GetKey = "clientbench/get"
	// Clients is about how many goroutines share the client in the parallel benchmarks: the
	// benchmark tool's --clients in the load runs.
	Clients = 50
)

var (
	// keys are built before any benchmark runs, so that making them costs no allocation per op.
	keys  = makeKeys()
	value = strings.Repeat("v", ValSize)
)

// makeKeys returns the KeySpace keys of the put benchmarks: "key/0000" ... "key/9999".
func makeKeys() []string {
	ks := make([]string, KeySpace)
	for i := range ks {
		ks[i] = fmt.Sprintf("key/%0*d", KeySize-len("key/"), i)
	}
	return ks
}

// Benchmark is one body, under the name Run gives its sub-benchmark.
type Benchmark struct {
	Name string
	F    func(b *testing.B, kv KV)
}

// Benchmarks are the bodies Run runs, in order. Their names are what docs/benchmarks.md and
// loadrun's table call them.
var Benchmarks = []Benchmark{
	{"Put", BenchPut},
	{"Get", BenchGet},
	{"GetSerializable", BenchGetSerializable},
	{"PutParallel", BenchPutParallel},
	{"GetParallel", BenchGetParallel},
	{"GetSerializableParallel", BenchGetSerializableParallel},
}

// Run runs every benchmark as a sub-benchmark of b, all on the one client kv, once the server
// takes a Put (a cluster that has just started may have no leader yet).
func Run(b *testing.B, kv KV) {
	waitServing(b, kv)
	for _, bm := range Benchmarks {
		b.Run(bm.Name, func(b *testing.B) { bm.F(b, kv) })
	}
}

// servingTimeout bounds how long Run waits for the server's first answer.
var servingTimeout = 10 * time.Second

// waitServing puts GetKey until a Put succeeds, within servingTimeout.
func waitServing(b *testing.B, kv KV) {
	b.Helper()
	deadline := time.Now().Add(servingTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := kv.Put(ctx, GetKey, value)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the server takes no Put within %v: %v", servingTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchPut sends one Put at a time, each to the next key of the key space.
func BenchPut(b *testing.B, kv KV) {
	ctx := context.Background()
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := range b.N {
		if err := kv.Put(ctx, keys[i%KeySpace], value); err != nil {
			b.Fatalf("put %d of %d: %v", i+1, b.N, err)
		}
	}
	cpu.stop()
}

// BenchGet sends one linearizable Get of GetKey at a time.
func BenchGet(b *testing.B, kv KV) { benchGet(b, kv, false) }

// BenchGetSerializable sends one serializable Get of GetKey at a time.
func BenchGetSerializable(b *testing.B, kv KV) { benchGet(b, kv, true) }

func benchGet(b *testing.B, kv KV, serializable bool) {
	ctx := context.Background()
	putGetKey(b, kv)
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := range b.N {
		v, err := kv.Get(ctx, GetKey, serializable)
		if err != nil {
			b.Fatalf("get %d of %d: %v", i+1, b.N, err)
		}
		if len(v) != ValSize {
			b.Fatalf("get %d of %d: %d bytes of value, want the %d put before the benchmark", i+1, b.N, len(v), ValSize)
		}
	}
	cpu.stop()
}

// BenchPutParallel sends Puts from about Clients goroutines at once, through the one client; the
// goroutines take the keys of the key space in turn.
func BenchPutParallel(b *testing.B, kv KV) {
	ctx := context.Background()
	var next atomic.Uint64
	b.ReportAllocs()
	cpu := startCPU(b)
	setParallelism(b) // after startCPU: b.ResetTimer drops reported metrics
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			if err := kv.Put(ctx, keys[i%KeySpace], value); err != nil {
				// Fatal is for the benchmark's own goroutine; this one stops alone.
				b.Errorf("put %d: %v", i+1, err)
				return
			}
		}
	})
	cpu.stop()
}

// BenchGetParallel sends linearizable Gets of GetKey from about Clients goroutines at once.
func BenchGetParallel(b *testing.B, kv KV) { benchGetParallel(b, kv, false) }

// BenchGetSerializableParallel sends serializable Gets of GetKey from about Clients goroutines
// at once.
func BenchGetSerializableParallel(b *testing.B, kv KV) { benchGetParallel(b, kv, true) }

func benchGetParallel(b *testing.B, kv KV, serializable bool) {
	ctx := context.Background()
	putGetKey(b, kv)
	b.ReportAllocs()
	cpu := startCPU(b)
	setParallelism(b) // after startCPU: b.ResetTimer drops reported metrics
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v, err := kv.Get(ctx, GetKey, serializable)
			if err != nil {
				b.Errorf("get: %v", err)
				return
			}
			if len(v) != ValSize {
				b.Errorf("get: %d bytes of value, want the %d put before the benchmark", len(v), ValSize)
				return
			}
		}
	})
	cpu.stop()
}

// putGetKey writes GetKey before a get benchmark times anything.
func putGetKey(b *testing.B, kv KV) {
	b.Helper()
	if err := kv.Put(context.Background(), GetKey, value); err != nil {
		b.Fatalf("put %s before the get benchmark: %v", GetKey, err)
	}
}

// setParallelism makes RunParallel start about Clients goroutines whatever GOMAXPROCS is (it
// starts parallelism × GOMAXPROCS of them), and reports their number as the metric "clients".
func setParallelism(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism(Parallelism(procs))
	b.ReportMetric(float64(Parallelism(procs)*procs), "clients")
}

// Parallelism is the b.SetParallelism that gives about Clients goroutines at procs GOMAXPROCS
// (at least Clients, and fewer than Clients + procs).
func Parallelism(procs int) int {
	return (Clients + procs - 1) / procs
}

// cpuTimer measures the CPU time the whole process spends from startCPU to stop, and reports it
// per op as cpu-ns/op. Against a server in another process that is the client's own cost
// (encoding, gRPC, the garbage collector), which ns/op hides behind the wait for the server.
type cpuTimer struct {
	b     *testing.B
	start time.Duration
	ok    bool
}

// startCPU resets the benchmark timer and starts measuring CPU time with it.
func startCPU(b *testing.B) cpuTimer {
	b.ResetTimer()
	start, ok := processCPU()
	return cpuTimer{b: b, start: start, ok: ok}
}

// stop stops the benchmark timer and reports the CPU time per op, where the platform gives it.
func (t cpuTimer) stop() {
	t.b.StopTimer()
	end, ok := processCPU()
	if t.ok && ok && t.b.N > 0 {
		t.b.ReportMetric(float64(end-t.start)/float64(t.b.N), "cpu-ns/op")
	}
}
