package interop_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"etcdwalk/chapters/03-propose-wait/pkg/lincheck"
	"etcdwalk/interop/harness"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The interop module may import chapter 03's pkg/lincheck although it links etcd's client: the
// package is plain Go over porcupine and registers no proto names (see package harness on why a
// chapter's generated packages cannot share a binary with etcd's).

// The load of TestChapter04Linearizable: linLoadClients clients, each sending one request at a
// time, for linLoadFor, on linLoadKeys keys. Few keys, so that reads and writes of one key
// overlap all the time; a few seconds, which gives porcupine thousands of operations and checks
// them in well under a second.
const (
	linLoadClients = 8
	linLoadKeys    = 4
	linLoadFor     = 3 * time.Second
	// linCheckTimeout bounds porcupine; it ends far sooner on this load.
	linCheckTimeout = time.Minute
	// linProbes is how many put-then-get pairs the probes send.
	linProbes = 200
)

// TestChapter04Linearizable is the linearizability check of chapter 04 through a process
// boundary: a chapter 04 server started as `make run` starts it (three client URLs, default raft
// timing and request timeout), linLoadClients clients of the official client putting and getting
// linLoadKeys keys concurrently, each client sending each request to the next member in turn, so
// that leader and followers all serve reads and writes. Every operation is recorded with the
// times it was sent and answered (lincheck.History), and porcupine must find the history
// linearizable: some order of the operations, each taking effect between its call and its return,
// explains every answer. A follower that answered from a store behind the leader's commit, or a
// put acknowledged and then lost, would make it Illegal.
//
// The same load with serializable gets is run too, and its verdict only reported: serializable
// reads are served from the member's local store without ReadIndex, so they may be stale, but
// whether a stale one happens in a given run depends on timing (a follower applies a write
// within a millisecond or so of the leader), and a test that fails or passes by chance is not a
// test. The probes below say how often a stale read showed up in this run.
func TestChapter04Linearizable(t *testing.T) {
	t.Parallel()
	ours := startCh04(t)
	members := make([]*clientv3.Client, len(ours.Endpoints))
	for i, ep := range ours.Endpoints {
		members[i] = harness.NewClient(t, ep)
	}
	roles := ch03Roles(t, ours)

	t.Run("linearizable gets", func(t *testing.T) {
		h := runLinLoad(t, members, "lin/", false)
		if res := checkLinearizable(t, h); res != porcupine.Ok {
			// porcupine draws the history and the longest linearizable prefixes it found.
			_, info := porcupine.CheckOperationsVerbose(lincheck.Model.ToModel(), h.Operations(), linCheckTimeout)
			path := filepath.Join(t.ArtifactDir(), "linearizable.html")
			require.NoError(t, porcupine.VisualizePath(lincheck.Model.ToModel(), info, path))
			t.Fatalf("porcupine should find the history of puts and linearizable gets through all three members linearizable; it says %s. "+
				"Its picture of the history: %s (kept with go test -artifacts)", res, path)
		}

		// The sharpest case, one client alone: a put through one member, then a get through the
		// next. Nothing else runs, so the get must return what the put wrote.
		stale := runLinProbes(t, members, "lin/probe", false)
		require.Empty(t, stale, "a linearizable get right after a put acknowledged by another member should return the put's value, every time; it returned an older one %d times of %d: %v",
			len(stale), linProbes, firstFew(stale))
	})

	t.Run("serializable gets", func(t *testing.T) {
		h := runLinLoad(t, members, "ser/", true)
		res := checkLinearizable(t, h)
		stale := runLinProbes(t, members, "ser/probe", true)
		t.Logf("serializable gets: porcupine says %s; the probes (a put through one member, then a serializable get through the next, %d times) saw an older value %d times: %v",
			res, linProbes, len(stale), firstFew(stale))
		t.Logf("members: %v", roles)
	})
}

// runLinLoad runs the concurrent load on keys under prefix and returns its history. Client c
// sends its k-th request to member (c+k) mod 3; half of the requests are puts of a value no other
// put writes (half of those with prev_kv, which porcupine checks too), half gets, serializable
// or not. The cluster is healthy, so nearly every request succeeds; one that fails (a leader
// change on a starved machine) is kept in the history with an unknown outcome, which the check
// allows for, and logged.
func runLinLoad(t *testing.T, members []*clientv3.Client, prefix string, serializable bool) *lincheck.History {
	t.Helper()
	var h lincheck.History
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	end := time.Now().Add(linLoadFor)
	for c := range linLoadClients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 0x6c696e))
			for k := 0; time.Now().Before(end); k++ {
				m := (c + k) % len(members)
				op := lincheck.Op{Key: fmt.Sprintf("%s%d", prefix, r.IntN(linLoadKeys))}
				if r.IntN(2) == 0 {
					op.Put, op.Value, op.PrevKV = true, fmt.Sprintf("c%d-%d", c, k), r.IntN(2) == 0
				}
				_, err := h.Do(c, op, func() (lincheck.Result, error) { return doLinOp(members[m], op, serializable) })
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("client %d, request %d (%+v) through member %d: %v", c, k, op, m+1, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	puts, failedPuts, gets, failedGets := h.Counts()
	t.Logf("%d clients, %v: %d puts (%d failed), %d gets (%d failed) (serializable: %v)", linLoadClients, linLoadFor, puts, failedPuts, gets, failedGets, serializable)
	if len(failures) > 0 {
		t.Logf("failed requests (their outcome is unknown to the check): %v", firstFew(failures))
	}
	require.Greater(t, puts, 2*failedPuts, "most puts to a healthy cluster should succeed: %v", firstFew(failures))
	require.Greater(t, gets, 2*failedGets, "most gets from a healthy cluster should succeed: %v", firstFew(failures))
	return &h
}

// doLinOp sends one put or get through cli and says what it saw.
func doLinOp(cli *clientv3.Client, op lincheck.Op, serializable bool) (lincheck.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if op.Put {
		var opts []clientv3.OpOption
		if op.PrevKV {
			opts = append(opts, clientv3.WithPrevKV())
		}
		resp, err := cli.Put(ctx, op.Key, op.Value, opts...)
		if err != nil {
			return lincheck.Result{}, err
		}
		if resp.PrevKv != nil {
			return lincheck.Result{Value: string(resp.PrevKv.Value)}, nil
		}
		return lincheck.Result{}, nil
	}
	var opts []clientv3.OpOption
	if serializable {
		opts = append(opts, clientv3.WithSerializable())
	}
	resp, err := cli.Get(ctx, op.Key, opts...)
	if err != nil || len(resp.Kvs) == 0 {
		return lincheck.Result{}, err
	}
	return lincheck.Result{Value: string(resp.Kvs[0].Value)}, nil
}

// checkLinearizable asks porcupine about h (lincheck's model), and requires an answer, Ok or
// Illegal, within linCheckTimeout.
func checkLinearizable(t *testing.T, h *lincheck.History) porcupine.CheckResult {
	t.Helper()
	start := time.Now()
	res := h.Check(linCheckTimeout)
	t.Logf("porcupine: %s in %v", res, time.Since(start).Round(time.Millisecond))
	require.NotEqual(t, porcupine.Unknown, res, "porcupine should decide within %v", linCheckTimeout)
	return res
}

// runLinProbes sends linProbes pairs, one at a time: a put of a fresh key through member i mod 3,
// then a get of that key through member i+1 mod 3. It returns the gets that did not see the put
// just acknowledged, as "probe i: got VALUE". A pair whose put or get fails (a leader change on a
// starved machine) proves nothing and is skipped; most must succeed.
func runLinProbes(t *testing.T, members []*clientv3.Client, key string, serializable bool) []string {
	t.Helper()
	var stale, failed []string
	for i := range linProbes {
		k, want := fmt.Sprintf("%s/%d", key, i), fmt.Sprint(i)
		_, err := doLinOp(members[i%len(members)], lincheck.Op{Put: true, Key: k, Value: want}, false)
		if err != nil {
			failed = append(failed, fmt.Sprintf("probe %d: put %s through member %d: %v", i, k, i%len(members)+1, err))
			continue
		}
		got, err := doLinOp(members[(i+1)%len(members)], lincheck.Op{Key: k}, serializable)
		if err != nil {
			failed = append(failed, fmt.Sprintf("probe %d: get %s through member %d: %v", i, k, (i+1)%len(members)+1, err))
			continue
		}
		if got.Value != want {
			stale = append(stale, fmt.Sprintf("probe %d: got %q", i, got.Value))
		}
	}
	if len(failed) > 0 {
		t.Logf("%d of %d probes failed and were skipped: %v", len(failed), linProbes, firstFew(failed))
	}
	require.Less(t, 2*len(failed), linProbes, "most probes on a healthy cluster should succeed: %v", firstFew(failed))
	return stale
}

// firstFew is at most the first five of xs, for a message.
func firstFew(xs []string) []string { return xs[:min(len(xs), 5)] }
