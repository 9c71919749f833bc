package embed

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/require"
)

// logBuffer collects one member's log, for a test to read what the member did.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSnapshotTriggerCatchUpBySnapshot: a member that is down while more than --snapshot-count
// entries are written, and raft's log is compacted past what it has, catches up from a snapshot
// of the leader's db, sent over the peer transport. It then restarts from that snapshot, and so
// does the whole cluster.
func TestSnapshotTriggerCatchUpBySnapshot(t *testing.T) {
	cfgs := threeMembers(t)
	logs := make([]*logBuffer, 3)
	for i, cfg := range cfgs {
		cfg.SnapshotCount, cfg.SnapshotCatchUpEntries = 100, 20
		logs[i] = &logBuffer{}
		cfg.Logger = slog.New(slog.NewTextHandler(logs[i], &slog.HandlerOptions{Level: slog.LevelDebug})) // "compacted raft logs" is at debug, as in etcd
	}
	members := make([]*Etcd, 3)
	start := func(i int) {
		t.Helper()
		e, err := StartEtcd(cfgs[i])
		require.NoError(t, err, "member %d should start", i+1)
		members[i] = e
	}
	for i := range cfgs {
		start(i)
	}
	t.Cleanup(func() {
		for _, e := range members {
			if e != nil {
				e.Close()
			}
		}
	})
	eps := []string{endpoint(cfgs[0]), endpoint(cfgs[1]), endpoint(cfgs[2])}
	cli := client(t, eps...)
	put := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			_, err := cli.Put(ctxT(t), fmt.Sprintf("key%04d", i), fmt.Sprintf("value%d", i))
			require.NoError(t, err, "put %d", i)
		}
	}
	put(0, 10) // a leader is elected, and every member knows it

	// The member to take down is a follower: a put forwarded to a leader that goes away is lost
	// and times out (as in etcd), which is not what this test is about.
	st, err := cli.Status(ctxT(t), eps[0])
	require.NoError(t, err)
	down := 2
	if members[down].Server.ID() == st.Leader {
		down = 1
	}
	var up []string
	for i, ep := range eps {
		if i != down {
			up = append(up, ep)
		}
	}
	cli = client(t, up...)
	members[down].Close()
	members[down] = nil
	put(10, 400) // four snapshots' worth, while that member is down

	start(down)
	third := client(t, eps[down])
	require.Eventually(t, func() bool {
		r, err := third.Get(ctxT(t), "key0399", clientv3.WithSerializable())
		return err == nil && len(r.Kvs) == 1
	}, 20*time.Second, 20*time.Millisecond, "the member that was down catches up on what it missed")
	requireKeys := func(c *clientv3.Client, n int, what string) {
		t.Helper()
		r, err := c.Get(ctxT(t), "key", clientv3.WithPrefix(), clientv3.WithSerializable())
		require.NoError(t, err)
		require.Len(t, r.Kvs, n, what)
		for i, kv := range r.Kvs {
			require.Equal(t, fmt.Sprintf("value%d", i), string(kv.Value), what)
			require.Equal(t, int64(1), kv.Version, "%s: key%04d was put once, so its version is 1", what, i)
		}
	}
	requireKeys(third, 400, "the member that was down has every key, each once")
	require.True(t, strings.Contains(logs[down].String(), "applied snapshot"),
		"the member was behind the leader's compacted log: it must have caught up by a snapshot, not by entries")
	sent := false
	for i := range logs {
		if i != down {
			sent = sent || strings.Contains(logs[i].String(), "sent database snapshot")
			require.True(t, strings.Contains(logs[i].String(), "compacted raft logs"), "member %d compacts raft's log after its snapshots", i+1)
		}
	}
	require.True(t, sent, "the leader sent its db to the member that was down, over the peer transport")

	// Every member restarts from its newest snapshot and the WAL after it.
	for i := range members {
		members[i].Close()
		members[i] = nil
	}
	for i := range cfgs {
		start(i)
	}
	// The first put after a full restart waits for the election; one forwarded to a member
	// that was about to lose it may time out, as in etcd.
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := cli.Put(ctx, "key0400", "value400")
		return err == nil
	}, 20*time.Second, 10*time.Millisecond, "the restarted cluster takes writes")
	put(401, 410)
	for i, ep := range eps {
		c := client(t, ep)
		require.Eventually(t, func() bool {
			r, err := c.Get(ctxT(t), "key0409", clientv3.WithSerializable())
			return err == nil && len(r.Kvs) == 1
		}, 20*time.Second, 20*time.Millisecond, "member %d serves writes after the restart", i+1)
		requireKeys(c, 410, fmt.Sprintf("member %d after all three restarted from their snapshots", i+1))
	}
}
