package interop_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

const (
	// ch06Writers write at once, each through a client of its own that knows every member.
	ch06Writers = 6
	// ch06PutTimeout bounds one put of a writer: a put through a member whose leader was just
	// killed waits until the member gives up on it, and the writer should rather go on.
	ch06PutTimeout = 3 * time.Second
	// ch06PhaseAcks is how many puts a phase of a kill test waits for (with all members up, or
	// with one down), and ch06PhaseTime how long it lasts at least, whichever is later;
	// ch06PhaseDeadline bounds the wait: a cluster that takes no writes for that long is stuck.
	ch06PhaseAcks     = 60
	ch06PhaseTime     = 400 * time.Millisecond
	ch06PhaseDeadline = 60 * time.Second
	// ch06CatchUp bounds how long a member restarted or left behind may take to apply what the
	// cluster acknowledged.
	ch06CatchUp = 30 * time.Second
)

// ch06Put is one put a writer sent, and what came back.
type ch06Put struct {
	key, value string
	acked      bool
	rev        int64 // the revision it was acknowledged with
}

// ch06Load is several writers putting keys of their own, each key once (ch06/wW/N = "vW.N"), one
// put at a time per writer, through clientv3 clients that know every member. Every attempt is
// recorded: a put that failed may still have been applied (its answer was lost with a killed
// member), one that was acknowledged must be in the store for good.
type ch06Load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	acks   atomic.Int64
	fails  atomic.Int64
	puts   [][]*ch06Put // per writer, in the order sent; read only after stop
}

// startCh06Load starts ch06Writers writers against endpoints. They run until stop, which the
// test's cleanup also calls.
func startCh06Load(t *testing.T, endpoints []string) *ch06Load {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &ch06Load{cancel: cancel, puts: make([][]*ch06Put, ch06Writers)}
	for w := range ch06Writers {
		cli := newClusterClient(t, endpoints)
		l.wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				p := &ch06Put{key: fmt.Sprintf("ch06/w%d/%05d", w, n), value: fmt.Sprintf("v%d.%d", w, n)}
				l.puts[w] = append(l.puts[w], p)
				pctx, pcancel := context.WithTimeout(ctx, ch06PutTimeout)
				resp, err := cli.Put(pctx, p.key, p.value)
				pcancel()
				if err != nil {
					l.fails.Add(1)
					continue
				}
				p.acked, p.rev = true, resp.Header.Revision
				l.acks.Add(1)
			}
		})
	}
	t.Cleanup(l.stop)
	return l
}

// stop ends the writers and waits for them: puts in flight are given up, and none reaches the
// cluster afterwards.
func (l *ch06Load) stop() {
	l.once.Do(func() {
		l.cancel()
		l.wg.Wait()
	})
}

// waitPhase waits until the writers have had ch06PhaseAcks more puts acknowledged and
// ch06PhaseTime has passed, and fails the test if they cannot within ch06PhaseDeadline.
func (l *ch06Load) waitPhase(t *testing.T, phase string) {
	t.Helper()
	start, from := time.Now(), l.acks.Load()
	for time.Since(start) < ch06PhaseTime || l.acks.Load() < from+ch06PhaseAcks {
		if time.Since(start) > ch06PhaseDeadline {
			t.Fatalf("%s: the cluster acknowledged %d puts within %v, not the %d it should take in a moment; it is stuck",
				phase, l.acks.Load()-from, ch06PhaseDeadline, ch06PhaseAcks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sent are the puts the writers sent, by key; only after stop.
func (l *ch06Load) sent() map[string]*ch06Put {
	m := map[string]*ch06Put{}
	for _, ps := range l.puts {
		for _, p := range ps {
			m[p.key] = p
		}
	}
	return m
}

// newClusterClient is a clientv3 client of every endpoint (it balances over them and leaves out
// a member that is down), closed when the test ends.
func newClusterClient(t *testing.T, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err, "clientv3.New(%v)", endpoints)
	t.Cleanup(func() { cli.Close() })
	return cli
}

// ch06Store is what checkCh06Store found.
type ch06Store struct {
	rev     int64 // the store's revision: revisions 2..rev hold one put each
	unacked int   // puts that failed, but are in the store all the same
}

// checkCh06Store reads the whole store of c (linearizably, through the members that run) and
// checks that nothing acknowledged was lost and nothing else happened: every revision from 2 to
// the current one holds exactly one put that a writer sent (each key once: version 1, created
// and last changed at that revision), every acknowledged put is there with its value at the
// revision it was acknowledged with, and every member, once it has caught up, holds exactly the
// same (a serializable read at that revision on each).
func checkCh06Store(t *testing.T, c *harness.Cluster, sent map[string]*ch06Put) ch06Store {
	t.Helper()
	cli := newClusterClient(t, c.Endpoints)
	all, err := cli.Get(ctxWithTimeout(t), "", clientv3.WithFromKey())
	require.NoError(t, err, "a linearizable read of every key should succeed once the cluster is whole")
	st := ch06Store{rev: all.Header.Revision}

	byRev := map[int64]*mvccpb.KeyValue{}
	for _, kv := range all.Kvs {
		key := string(kv.Key)
		p := sent[key]
		switch {
		case p == nil || p.value != string(kv.Value):
			t.Fatalf("revision %d holds %s=%q, which no writer sent", kv.ModRevision, key, kv.Value)
		case kv.Version != 1 || kv.CreateRevision != kv.ModRevision:
			t.Fatalf("%s was put once, so it should be version 1, created and last changed at one revision; the store has %v (a put applied twice?)", key, kv)
		case byRev[kv.ModRevision] != nil:
			t.Fatalf("revision %d holds two puts, %s and %s; each revision of this test is one put", kv.ModRevision, byRev[kv.ModRevision].Key, key)
		}
		byRev[kv.ModRevision] = kv
		if !p.acked {
			st.unacked++
		}
	}
	for r := int64(2); r <= st.rev; r++ {
		require.NotNil(t, byRev[r], "revision %d holds no put, but the store is at revision %d: revisions 2..%d should each hold one put (a gap: an entry applied without a change, or a change lost?)", r, st.rev, st.rev)
	}
	require.Len(t, byRev, int(st.rev-1), "the store at revision %d should hold one put per revision 2..%d", st.rev, st.rev)

	for _, p := range sent {
		if !p.acked {
			continue
		}
		kv := byRev[p.rev]
		if kv == nil || string(kv.Key) != p.key || string(kv.Value) != p.value {
			t.Fatalf("the put %s=%s was acknowledged with revision %d, but revision %d holds %v: an acknowledged write was lost", p.key, p.value, p.rev, p.rev, kv)
		}
	}

	want := &pb.RangeResponse{Kvs: all.Kvs, Count: all.Count}
	for _, m := range c.Members {
		mcli := harness.NewClient(t, m.Endpoint)
		var last string
		diff := eventually(ch06CatchUp, func() string {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			got, err := mcli.Get(ctx, "", clientv3.WithFromKey(), clientv3.WithRev(st.rev), clientv3.WithSerializable())
			if err != nil {
				last = err.Error()
				return last
			}
			last = fmt.Sprintf("%d keys, at revision %d", got.Count, got.Header.Revision)
			gotKVs := &pb.RangeResponse{Kvs: got.Kvs, Count: got.Count}
			if proto.Equal(protoadapt.MessageV2Of(want), protoadapt.MessageV2Of(gotKVs)) {
				return "" // Diff takes seconds over thousands of keys; only a failure needs it
			}
			return harness.Diff(want, gotKVs)
		})
		require.Empty(t, diff, "%s should hold, once caught up (within %v), every key the cluster holds at revision %d; a serializable read of every key at that revision found %s (-cluster +%s):\n%s",
			m.Name, ch06CatchUp, st.rev, last, m.Name, diff)
		require.NoError(t, mcli.Close())
	}
	return st
}

// ch06KillTargets are the members TestChapter06KillDuringLoad kills, in turn.
var ch06KillTargets = []string{"leader", "follower", "leader", "follower"}

// TestChapter06KillDuringLoad kills members of a three-process chapter 06 cluster with SIGKILL
// while six clients put keys through all of them, and restarts each from its data directory:
// the leader, then a follower, twice. Each member is killed once the cluster has taken writes
// for a moment, stays down while the other two take more, and comes back to catch up. At the
// end nothing acknowledged is lost, no revision holds anything but one put that a writer sent,
// and every member holds the same store (checkCh06Store).
func TestChapter06KillDuringLoad(t *testing.T) {
	t.Parallel()
	c := startCh06(t, ch06FastRaft...)
	load := startCh06Load(t, c.Endpoints)

	for i, target := range ch06KillTargets {
		load.waitPhase(t, fmt.Sprintf("kill %d, before it", i+1))
		leader := ch06Leader(t, c)
		m := leader
		if target == "follower" {
			m = (leader + 1) % len(c.Members)
		}
		c.Members[m].Kill(t)
		killed, acks := time.Now(), load.acks.Load()
		load.waitPhase(t, fmt.Sprintf("kill %d, with %s down", i+1, c.Members[m].Name))
		down, downAcks := time.Since(killed), load.acks.Load()-acks
		c.Members[m].Restart(t)
		t.Logf("kill %d: %s (the %s) killed with %d puts acknowledged; %d more while it was down (%v), then it restarted in %v",
			i+1, c.Members[m].Name, target, acks, downAcks, down.Round(time.Millisecond), (time.Since(killed) - down).Round(time.Millisecond))
	}
	load.waitPhase(t, "after the last restart")
	load.stop()
	c.WaitReady(t)

	st := checkCh06Store(t, c, load.sent())
	t.Logf("%d puts acknowledged, %d failed (%d of those applied all the same); the store holds revisions 2..%d, one put each, the same on every member",
		load.acks.Load(), load.fails.Load(), st.unacked, st.rev)
}

// ch06Leader is the index of the member that leads, as the running members agree, waiting for
// an election in progress to end.
func ch06Leader(t *testing.T, c *harness.Cluster) int {
	t.Helper()
	var leader int
	var err error
	diff := eventually(ch06CatchUp, func() string {
		leader, err = c.Proc().Leader(t.Context())
		if err != nil {
			return err.Error()
		}
		return ""
	})
	require.Empty(t, diff, "the running members should agree on a leader within %v", ch06CatchUp)
	return leader
}

// TestChapter06KillAllAndRestart kills all three members at once with SIGKILL while six clients
// put keys, then restarts all three from their data directories: the cluster must hold every
// acknowledged put, nothing else, the same on every member, and take new writes through each
// member, at the revisions right after.
func TestChapter06KillAllAndRestart(t *testing.T) {
	t.Parallel()
	c := startCh06(t, ch06FastRaft...)
	load := startCh06Load(t, c.Endpoints)
	// Twice as long a load as a phase of TestChapter06KillDuringLoad: the one kill meets more
	// writes in flight.
	load.waitPhase(t, "before the kill")
	load.waitPhase(t, "before the kill")

	var wg sync.WaitGroup
	errs := make([]error, len(c.Members))
	for i, m := range c.Members {
		wg.Go(func() { errs[i] = m.Proc().Kill() })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...), "kill every member")
	acked := load.acks.Load()
	load.stop()

	// A member alone cannot become ready (it knows no leader until a majority is back), so all
	// three restart at once.
	for i, m := range c.Members {
		wg.Go(func() { errs[i] = m.Proc().Restart(t.Context()) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...), "restart every member on its data directory")
	c.WaitReady(t)

	sent := load.sent()
	st := checkCh06Store(t, c, sent)
	t.Logf("%d puts acknowledged before the kill, %d failed (%d of those applied all the same); after the restart the store holds revisions 2..%d, one put each, the same on every member",
		acked, load.fails.Load(), st.unacked, st.rev)

	// New writes, one through each member, get the next revisions.
	for i, m := range c.Members {
		p := &ch06Put{key: fmt.Sprintf("ch06/after/%s", m.Name), value: "after the restart"}
		resp, err := harness.NewClient(t, m.Endpoint).Put(ctxWithTimeout(t), p.key, p.value)
		require.NoError(t, err, "a put through %s after the restart should succeed", m.Name)
		require.Equal(t, st.rev+int64(i)+1, resp.Header.Revision, "the put through %s should get the revision after the last one the store had", m.Name)
		p.acked, p.rev = true, resp.Header.Revision
		sent[p.key] = p
	}
	after := checkCh06Store(t, c, sent)
	require.Equal(t, st.rev+int64(len(c.Members)), after.rev, "the store's revision after the new puts")
}
