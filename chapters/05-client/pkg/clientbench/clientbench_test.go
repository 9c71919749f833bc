package clientbench

import (
	"context"
	"errors"
	"flag"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeKV records what the benchmarks send and answers from a map.
type fakeKV struct {
	mu   sync.Mutex
	data map[string]string
	puts map[string]int
	gets map[bool]int // by serializable
	// getValue, if set, is what every Get answers instead of the stored value.
	getValue []byte
	err      error
	// failPuts is how many Puts fail before the first that succeeds.
	failPuts int
}

func newFake() *fakeKV {
	return &fakeKV{data: map[string]string{}, puts: map[string]int{}, gets: map[bool]int{}}
}

func (f *fakeKV) Put(_ context.Context, key, val string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if f.failPuts > 0 {
		f.failPuts--
		return errors.New("etcdserver: no leader")
	}
	f.data[key] = val
	f.puts[key]++
	return nil
}

func (f *fakeKV) Get(_ context.Context, key string, serializable bool) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.gets[serializable]++
	if f.getValue != nil {
		return f.getValue, nil
	}
	v, ok := f.data[key]
	if !ok {
		return nil, nil
	}
	return []byte(v), nil
}

// runN runs bm with b.N fixed at n (after testing's first run with N = 1).
func runN(t *testing.T, n string, f func(b *testing.B)) testing.BenchmarkResult {
	t.Helper()
	old := flag.Lookup("test.benchtime").Value.String()
	require.NoError(t, flag.Set("test.benchtime", n))
	t.Cleanup(func() { flag.Set("test.benchtime", old) })
	return testing.Benchmark(f)
}

func TestKeys(t *testing.T) {
	require.Len(t, keys, KeySpace)
	seen := map[string]bool{}
	for _, k := range keys {
		assert.Len(t, k, KeySize, "every key is as long as the load run's (--key-size 8): %q", k)
		seen[k] = true
	}
	assert.Len(t, seen, KeySpace, "the key space has %d distinct keys", KeySpace)
	assert.Equal(t, "key/0000", keys[0])
	assert.Equal(t, "key/9999", keys[KeySpace-1])
	assert.Len(t, value, ValSize, "values are as large as the load run's (--val-size 256)")
}

// Each body sends its own kind of request, one per op, and a get body first puts the key it reads.
func TestBodies(t *testing.T) {
	// runN's two runs have b.N = 1 and 200: 201 ops in all.
	tests := []struct {
		name                string
		f                   func(*testing.B, KV)
		puts, gets, getsSer int
		getBody             bool
	}{
		{"Put", BenchPut, 201, 0, 0, false},
		{"Get", BenchGet, 0, 201, 0, true},
		{"GetSerializable", BenchGetSerializable, 0, 0, 201, true},
		{"PutParallel", BenchPutParallel, 201, 0, 0, false},
		{"GetParallel", BenchGetParallel, 0, 201, 0, true},
		{"GetSerializableParallel", BenchGetSerializableParallel, 0, 0, 201, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := newFake()
			res := runN(t, "200x", func(b *testing.B) { tt.f(b, kv) })
			require.Equal(t, 200, res.N, "the benchmark should run, and succeed, with b.N = 200")
			puts := 0
			for k, n := range kv.puts {
				if k != GetKey {
					puts += n
				}
			}
			assert.Equal(t, tt.puts, puts, "puts to the key space")
			assert.Equal(t, tt.gets, kv.gets[false], "linearizable gets")
			assert.Equal(t, tt.getsSer, kv.gets[true], "serializable gets")
			if tt.getBody {
				assert.Equal(t, 2, kv.puts[GetKey], "a get benchmark puts %s once per run, before timing", GetKey)
			} else {
				assert.Zero(t, kv.puts[GetKey], "a put benchmark leaves %s alone", GetKey)
				assert.Len(t, kv.puts, 200, "201 puts cycle through the key space from its first key: 200 keys, the first one twice")
			}
		})
	}
}

// The parallel bodies share the client between about Clients goroutines, whatever GOMAXPROCS is.
func TestParallelism(t *testing.T) {
	for _, procs := range []int{1, 2, 3, 16, 64} {
		p := Parallelism(procs)
		goroutines := p * procs
		assert.GreaterOrEqual(t, goroutines, Clients, "GOMAXPROCS %d: parallelism %d gives %d goroutines, want at least %d", procs, p, goroutines, Clients)
		assert.Less(t, goroutines, Clients+procs, "GOMAXPROCS %d: parallelism %d gives %d goroutines, want about %d", procs, p, goroutines, Clients)
	}

	procs := runtime.GOMAXPROCS(0)
	for _, bm := range Benchmarks {
		res := runN(t, "10x", func(b *testing.B) { bm.F(b, newFake()) })
		clients, ok := res.Extra["clients"]
		if strings.HasSuffix(bm.Name, "Parallel") {
			assert.Equal(t, float64(Parallelism(procs)*procs), clients, "%s should report how many goroutines share the client", bm.Name)
		} else {
			assert.False(t, ok, "%s runs on one goroutine and should report no clients metric", bm.Name)
		}
	}
}

// A failed request, or a get that does not return the value put, fails the benchmark: it must
// not report the speed of errors or of empty answers.
func TestFailures(t *testing.T) {
	for _, bm := range Benchmarks {
		t.Run(bm.Name+"/error", func(t *testing.T) {
			kv := newFake()
			kv.err = errors.New("etcdserver: request timed out")
			res := runN(t, "10x", func(b *testing.B) { bm.F(b, kv) })
			assert.Zero(t, res.N, "a benchmark whose requests fail must fail, not report %d ops", res.N)
		})
	}
	for _, bm := range []Benchmark{{"Get", BenchGet}, {"GetSerializableParallel", BenchGetSerializableParallel}} {
		t.Run(bm.Name+"/short value", func(t *testing.T) {
			kv := newFake()
			kv.getValue = []byte("x")
			res := runN(t, "10x", func(b *testing.B) { bm.F(b, kv) })
			assert.Zero(t, res.N, "a get that reads 1 byte instead of %d must fail the benchmark", ValSize)
		})
	}
}

// Run waits for a server that does not take Puts yet, then runs every benchmark; a server that
// never takes one fails the run instead of hanging it.
func TestRunWaitsForServer(t *testing.T) {
	kv := newFake()
	kv.failPuts = 3
	res := runN(t, "10x", func(b *testing.B) { Run(b, kv) })
	assert.NotZero(t, res.N, "Run should succeed once the server takes a Put")
	assert.Zero(t, kv.failPuts, "Run should have tried until the server took a Put")
	for _, ser := range []bool{false, true} {
		assert.Equal(t, 2*11, kv.gets[ser], "both get benchmarks of each kind (serializable: %v) should have run, with b.N = 1 and 10", ser)
	}

	old := servingTimeout
	servingTimeout = 100 * time.Millisecond
	t.Cleanup(func() { servingTimeout = old })
	kv = newFake()
	kv.err = errors.New("connection refused")
	res = runN(t, "10x", func(b *testing.B) { Run(b, kv) })
	assert.Zero(t, res.N, "Run against a server that takes no Put should fail")
}
