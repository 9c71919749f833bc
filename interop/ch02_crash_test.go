package interop_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/protoadapt"
)

const (
	// killCycles is how often TestChapter02KillDuringWrites kills the server, on one data dir.
	killCycles = 3
	// crashWriters write concurrently, each to crashKeysPerWriter keys of its own, in turn.
	crashWriters       = 16
	crashKeysPerWriter = 2
	// The server is killed once the writers have run for loadTime and at least minAcks of their
	// puts (this cycle) were acknowledged, whichever is later; loadDeadline bounds the wait.
	loadTime     = 1500 * time.Millisecond
	minAcks      = 200
	loadDeadline = 60 * time.Second
	// verifyWorkers read the history back in parallel.
	verifyWorkers = 8
)

// An attempt is one Put a writer sent (or was about to send when the server died).
type attempt struct {
	seq   int   // the writer's counter; the value written is strconv.Itoa(seq)
	acked bool  // the server answered OK
	rev   int64 // the revision it answered with
}

// A crashWriter puts increasing values to its own keys, in turn, one put at a time, and records
// every attempt. Its state carries over from one kill cycle to the next.
type crashWriter struct {
	keys     []string
	next     int                   // the next seq
	attempts map[string][]*attempt // by key, in the order sent
	// errBeforeKill is the first error of a put that failed while the server was not being
	// killed: the server must not refuse a put under load.
	errBeforeKill error
}

// run writes until ctx ends. killed is set just before the server is killed: an error seen
// while it is unset happened to a healthy server.
func (w *crashWriter) run(ctx context.Context, cli *clientv3.Client, killed *atomic.Bool, acks *atomic.Int64) {
	for ctx.Err() == nil {
		key := w.keys[w.next%len(w.keys)]
		a := &attempt{seq: w.next}
		w.next++
		w.attempts[key] = append(w.attempts[key], a)
		resp, err := cli.Put(ctx, key, strconv.Itoa(a.seq))
		if err != nil {
			if !killed.Load() && w.errBeforeKill == nil {
				w.errBeforeKill = fmt.Errorf("put %s=%d: %w", key, a.seq, err)
			}
			continue
		}
		a.acked, a.rev = true, resp.Header.Revision
		acks.Add(1)
	}
}

// TestChapter02KillDuringWrites kills chapter 02 with SIGKILL while 16 clients write to it,
// restarts it on the same data directory, and checks that nothing acknowledged was lost: every
// acknowledged put is there at the revision it was acknowledged with, every revision from 2 to
// the current one holds exactly one put that a writer sent (no gaps, nothing invented), each
// key's history is its writer's puts in order, and each key's value is its last acknowledged
// put or a later one that was sent but not acknowledged. Then a new write must work. Three
// times, on the same data directory.
func TestChapter02KillDuringWrites(t *testing.T) {
	t.Parallel()
	ours := startCh02(t)

	writers := make([]*crashWriter, crashWriters)
	for i := range writers {
		w := &crashWriter{attempts: map[string][]*attempt{}}
		for k := range crashKeysPerWriter {
			w.keys = append(w.keys, fmt.Sprintf("crash/w%02d/k%d", i, k))
		}
		writers[i] = w
	}
	// markers are the test's own puts after each restart, which the history must hold too.
	markers := map[int64]string{}

	for cycle := 1; cycle <= killCycles; cycle++ {
		acked := writeUntilKilled(t, ours, writers, cycle)
		ours.Restart(t)

		cli := harness.NewClient(t, ours.Endpoint)
		history := readHistory(t, cli, acked)
		checkHistory(t, cycle, writers, markers, history)

		// New writes work, and continue the history where it ended.
		ctx := ctxWithTimeout(t)
		key := fmt.Sprintf("crash/marker/%d", cycle)
		resp, err := cli.Put(ctx, key, "after restart")
		require.NoError(t, err, "cycle %d: a put after the restart should succeed", cycle)
		require.Equal(t, history.rev+1, resp.Header.Revision,
			"cycle %d: the first put after the restart should get the revision after the last one the store has", cycle)
		markers[resp.Header.Revision] = key
		get, err := cli.Get(ctx, key)
		require.NoError(t, err)
		require.Len(t, get.Kvs, 1, "cycle %d: the put after the restart should be readable", cycle)
		require.Equal(t, "after restart", string(get.Kvs[0].Value))
		require.NoError(t, cli.Close())
	}
}

// writeUntilKilled runs the writers against p until the load has run long enough, kills p, and
// waits for the writers to give up. It returns the highest acknowledged revision so far.
func writeUntilKilled(t *testing.T, p *harness.Process, writers []*crashWriter, cycle int) int64 {
	t.Helper()
	cli := harness.NewClient(t, p.Endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var killed atomic.Bool
	var acks atomic.Int64
	var wg sync.WaitGroup
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx, cli, &killed, &acks)
		}()
	}

	start := time.Now()
	for time.Since(start) < loadTime || acks.Load() < minAcks {
		if time.Since(start) > loadDeadline {
			killed.Store(true) // stop counting errors: we are giving up anyway
			cancel()
			wg.Wait()
			t.Fatalf("cycle %d: only %d puts were acknowledged within %v; the server is stuck or very slow", cycle, acks.Load(), loadDeadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
	killed.Store(true)
	p.Kill(t)
	// Puts in flight when the server died fail; puts sent since wait for a server (clientv3
	// waits for ready) until the context ends. They must end before the restart, or they would
	// reach the new process.
	cancel()
	wg.Wait()
	require.NoError(t, cli.Close())

	var maxRev int64
	for _, w := range writers {
		require.NoError(t, w.errBeforeKill, "cycle %d: a put failed before the server was killed", cycle)
		for _, as := range w.attempts {
			for _, a := range as {
				if a.acked {
					maxRev = max(maxRev, a.rev)
				}
			}
		}
	}
	t.Logf("cycle %d: %d puts acknowledged before the kill, highest revision %d", cycle, acks.Load(), maxRev)
	return maxRev
}

// A history is what the store holds: for every revision from 2 to rev, the one pair written
// at it; and the writers' keys as a read of the current revision sees them.
type history struct {
	rev    int64
	byRev  map[int64]*mvccpb.KeyValue
	latest map[string]*mvccpb.KeyValue
}

// readHistory reads, for every revision r from 2 to the current one, the pairs whose last change
// is r as of r (a range over all keys at revision r, filtered to mod_revision r): exactly one
// each, since every revision of this test is one put.
func readHistory(t *testing.T, cli *clientv3.Client, ackedRev int64) history {
	t.Helper()
	ctx := ctxWithTimeout(t)
	resp, err := cli.Get(ctx, "crash-test-current-revision")
	require.NoError(t, err, "a read after the restart should succeed")
	cur := resp.Header.Revision
	require.GreaterOrEqual(t, cur, ackedRev,
		"after the restart the store is at revision %d, but revision %d was acknowledged before the kill: acknowledged writes were lost", cur, ackedRev)

	h := history{rev: cur, byRev: make(map[int64]*mvccpb.KeyValue, cur), latest: map[string]*mvccpb.KeyValue{}}
	now, err := cli.Get(ctx, "crash/w", clientv3.WithPrefix(), clientv3.WithRev(cur))
	require.NoError(t, err, "read the writers' keys after the restart")
	for _, kv := range now.Kvs {
		h.latest[string(kv.Key)] = kv
	}
	var mu sync.Mutex
	var firstErr error
	revs := make(chan int64)
	var wg sync.WaitGroup
	for range verifyWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range revs {
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				resp, err := cli.Get(ctx, "", clientv3.WithFromKey(), clientv3.WithRev(r),
					clientv3.WithMinModRev(r), clientv3.WithMaxModRev(r))
				cancel()
				mu.Lock()
				switch {
				case err != nil:
					firstErr = cmpOr(firstErr, fmt.Errorf("read revision %d: %w", r, err))
				case len(resp.Kvs) != 1:
					firstErr = cmpOr(firstErr, fmt.Errorf("revision %d should hold exactly one change (every revision of this test is one put), but a range at it finds %d pairs with mod_revision %d: %v",
						r, len(resp.Kvs), r, resp.Kvs))
				default:
					h.byRev[r] = resp.Kvs[0]
				}
				mu.Unlock()
			}
		}()
	}
	for r := int64(2); r <= cur; r++ {
		revs <- r
	}
	close(revs)
	wg.Wait()
	require.NoError(t, firstErr, "the store's history after the restart has a gap or a revision with more than one change")
	return h
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// checkHistory compares the history the store holds with what the writers sent.
func checkHistory(t *testing.T, cycle int, writers []*crashWriter, markers map[int64]string, h history) {
	t.Helper()
	// Every pair the store holds is a put someone sent; collect each key's puts in revision order.
	perKey := map[string][]*mvccpb.KeyValue{}
	sent := map[string]map[int]*attempt{}
	for _, w := range writers {
		for key, as := range w.attempts {
			sent[key] = map[int]*attempt{}
			for _, a := range as {
				sent[key][a.seq] = a
			}
		}
	}
	revs := make([]int64, 0, len(h.byRev))
	for r := range h.byRev {
		revs = append(revs, r)
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i] < revs[j] })
	for _, r := range revs {
		kv := h.byRev[r]
		key := string(kv.Key)
		if m, ok := markers[r]; ok && m == key {
			continue
		}
		seq, err := strconv.Atoi(string(kv.Value))
		if sent[key] == nil || err != nil || sent[key][seq] == nil {
			t.Fatalf("cycle %d: revision %d holds %s=%q, which no writer ever sent", cycle, r, key, kv.Value)
		}
		perKey[key] = append(perKey[key], kv)
	}

	for _, w := range writers {
		for _, key := range w.keys {
			have := perKey[key]
			// Each acknowledged put is in the store at the revision it was acknowledged with.
			for _, a := range w.attempts[key] {
				if !a.acked {
					continue
				}
				kv := h.byRev[a.rev]
				if kv == nil || string(kv.Key) != key || string(kv.Value) != strconv.Itoa(a.seq) {
					t.Fatalf("cycle %d: the put %s=%d was acknowledged with revision %d, but after the restart revision %d holds %v",
						cycle, key, a.seq, a.rev, a.rev, kv)
				}
			}
			// The key's history is its writer's puts, in the order they were sent: increasing
			// values, versions 1, 2, 3, ..., one creation revision.
			for i, kv := range have {
				seq, _ := strconv.Atoi(string(kv.Value))
				if i > 0 {
					prev, _ := strconv.Atoi(string(have[i-1].Value))
					require.Greater(t, seq, prev, "cycle %d: %s: the store holds its puts out of the order they were sent (revision %d has %d, revision %d has %d)",
						cycle, key, have[i-1].ModRevision, prev, kv.ModRevision, seq)
				}
				require.Equal(t, int64(i+1), kv.Version, "cycle %d: %s at revision %d should be version %d", cycle, key, kv.ModRevision, i+1)
				require.Equal(t, have[0].ModRevision, kv.CreateRevision, "cycle %d: %s at revision %d: create revision", cycle, key, kv.ModRevision)
			}
			// Its value is the last acknowledged put, or one sent after it whose answer was lost.
			lastAcked := -1
			for _, a := range w.attempts[key] {
				if a.acked {
					lastAcked = a.seq
				}
			}
			if len(have) == 0 {
				require.Equal(t, -1, lastAcked, "cycle %d: %s has no value after the restart, but a put to it was acknowledged", cycle, key)
				require.Nil(t, h.latest[key], "cycle %d: %s has no revision in the store's history, yet a read finds it", cycle, key)
				continue
			}
			if h.latest[key] == nil {
				t.Fatalf("cycle %d: %s was last changed at revision %d, but a read at the current revision does not find it", cycle, key, have[len(have)-1].ModRevision)
			}
			if d := harness.Diff(have[len(have)-1], h.latest[key]); d != "" {
				t.Fatalf("cycle %d: a read of %s at the current revision should find its last change in the history, revision %d (-history +read):\n%s",
					cycle, key, have[len(have)-1].ModRevision, d)
			}
			last, _ := strconv.Atoi(string(have[len(have)-1].Value))
			require.GreaterOrEqual(t, last, lastAcked,
				"cycle %d: %s is %d after the restart, older than its last acknowledged put %d", cycle, key, last, lastAcked)
		}
	}
	unacked := 0
	for _, kvs := range perKey {
		for _, kv := range kvs {
			seq, _ := strconv.Atoi(string(kv.Value))
			if !sent[string(kv.Key)][seq].acked {
				unacked++
			}
		}
	}
	t.Logf("cycle %d: revisions 2..%d verified; %d of them (all cycles so far) hold puts whose answer a kill lost", cycle, h.rev, unacked)
}

// TestChapter02RestartKeepsData stops chapter 02 and real etcd after the same writes and
// compactions and starts them again on their data directories: both must answer every read the
// same as before (keys, values, versions, revisions, what is compacted) and the same as each
// other. First a graceful stop (SIGTERM), then a crash (SIGKILL) right after a compaction that
// was acknowledged but not waited for (physical=false).
func TestChapter02RestartKeepsData(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcd(t)
	ours := startCh02(t)
	servers := []*harness.Process{etcd, ours}

	clients := func() (etcdKV, oursKV pb.KVClient) {
		return pb.NewKVClient(harness.Dial(t, etcd.Endpoint)), pb.NewKVClient(harness.Dial(t, ours.Endpoint))
	}
	etcdKV, oursKV := clients()
	// both sends req to both and requires the same answer; it returns etcd's.
	both := func(req protoadapt.MessageV1) protoadapt.MessageV1 {
		t.Helper()
		ctx := ctxWithTimeout(t)
		want, wantErr := sendKV(ctx, etcdKV, req)
		got, gotErr := sendKV(ctx, oursKV, req)
		if d := answerDiff(want, wantErr, got, gotErr); d != "" {
			t.Fatalf("%T %s: chapter 02 answered differently from real etcd.\nreal etcd: %s\nchapter 02: %s\n%s",
				req, oneLine(req), answerText(want, wantErr), answerText(got, gotErr), d)
		}
		return want
	}
	put := func(k, v string) { both(&pb.PutRequest{Key: []byte(k), Value: []byte(v)}) }

	// History: keys created, overwritten and deleted on both sides of the compactions.
	for i := range 20 {
		put(fmt.Sprintf("k%d", i%7), fmt.Sprintf("v%d", i))
	}
	both(&pb.DeleteRangeRequest{Key: []byte("k2"), RangeEnd: []byte("k4")})
	both(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("t1", "a"), opPut("t2", "b"), opDelete("k5", "")}})
	both(&pb.CompactionRequest{Revision: 12, Physical: true})
	for i := range 10 {
		put(fmt.Sprintf("k%d", i%4), fmt.Sprintf("w%d", i))
	}
	both(&pb.DeleteRangeRequest{Key: []byte("k0")})

	// views are the reads whose answers a restart must not change.
	views := func(compactRev, rev int64) []protoadapt.MessageV1 {
		reqs := []protoadapt.MessageV1{
			&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Revision: compactRev - 1},
			&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Revision: rev + 1},
			&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, CountOnly: true},
			&pb.RangeRequest{Key: []byte("k"), RangeEnd: []byte("l"), SortOrder: pb.RangeRequest_DESCEND, SortTarget: pb.RangeRequest_MOD},
			&pb.CompactionRequest{Revision: compactRev}, // compacted already: refused, changes nothing
			&pb.CompactionRequest{Revision: rev + 1},    // in the future: refused
		}
		for r := compactRev; r <= rev; r++ {
			reqs = append(reqs, &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Revision: r})
		}
		return reqs
	}
	// check asks both servers every view and requires the same answers as before, if any.
	check := func(stage string, reqs []protoadapt.MessageV1, before []string) []string {
		t.Helper()
		var answers []string
		for i, req := range reqs {
			ctx := ctxWithTimeout(t)
			want, wantErr := sendKV(ctx, etcdKV, req)
			got, gotErr := sendKV(ctx, oursKV, req)
			if d := answerDiff(want, wantErr, got, gotErr); d != "" {
				t.Fatalf("%s: %T %s: chapter 02 answered differently from real etcd.\nreal etcd: %s\nchapter 02: %s\n%s",
					stage, req, oneLine(req), answerText(want, wantErr), answerText(got, gotErr), d)
			}
			answer := answerText(got, gotErr) // headers normalized by answerDiff
			answers = append(answers, answer)
			if before != nil && before[i] != answer {
				t.Fatalf("%s: %T %s: chapter 02's answer changed across the restart.\nbefore: %s\nafter:  %s", stage, req, oneLine(req), before[i], answer)
			}
		}
		return answers
	}
	revOf := func() int64 {
		return headerRevision(both(&pb.RangeRequest{Key: []byte("k0")}))
	}

	rev := revOf()
	reqs := views(12, rev)
	before := check("before the graceful restart", reqs, nil)
	for _, p := range servers {
		p.Stop(t)
		p.Restart(t)
	}
	etcdKV, oursKV = clients()
	require.Equal(t, rev, revOf(), "the revision after a graceful restart")
	check("after the graceful restart", reqs, before)
	put("after", "graceful restart")
	require.Equal(t, rev+1, revOf(), "the first put after a graceful restart should get the next revision")

	// A crash right after a compaction that was acknowledged: it must survive.
	for i := range 5 {
		put(fmt.Sprintf("k%d", i), fmt.Sprintf("x%d", i))
	}
	rev = revOf()
	compactRev := rev - 2
	both(&pb.CompactionRequest{Revision: compactRev})
	reqs = views(compactRev, rev)
	before = check("before the crash", reqs, nil)
	for _, p := range servers {
		p.Kill(t)
		p.Restart(t)
	}
	etcdKV, oursKV = clients()
	require.Equal(t, rev, revOf(), "the revision after a crash")
	check("after the crash", reqs, before)
	both(&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Revision: compactRev - 1}) // still compacted
	put("after", "crash")
	require.Equal(t, rev+1, revOf(), "the first put after a crash should get the next revision")
}
