package embed

import (
	"bytes"
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
		cfg.Logger = slog.New(slog.NewTextHandler(logs[i], &slog.HandlerOptions{Level: slog.LevelInfo}))
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
	cli := client(t, eps[0], eps[1])
	put := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			_, err := cli.Put(ctxT(t), fmt.Sprintf("key%04d", i), fmt.Sprintf("value%d", i))
			require.NoError(t, err, "put %d", i)
		}
	}
	put(0, 10)

	members[2].Close()
	members[2] = nil
	put(10, 400) // four snapshots' worth, while member 3 is down

	start(2)
	third := client(t, eps[2])
	require.Eventually(t, func() bool {
		r, err := third.Get(ctxT(t), "key0399", clientv3.WithSerializable())
		return err == nil && len(r.Kvs) == 1
	}, 20*time.Second, 20*time.Millisecond, "member 3 catches up on what it missed")
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
	requireKeys(third, 400, "member 3 has every key, each once")
	require.True(t, strings.Contains(logs[2].String(), "applied snapshot"),
		"member 3 was behind the leader's compacted log: it must have caught up by a snapshot, not by entries")
	sent := false
	for i := range 2 {
		sent = sent || strings.Contains(logs[i].String(), "sent database snapshot")
	}
	require.True(t, sent, "the leader sent its db to member 3 over the peer transport")
	for i := range 2 {
		require.True(t, strings.Contains(logs[i].String(), "compacted raft logs"), "member %d compacts raft's log after its snapshots", i+1)
	}

	// Every member restarts from its newest snapshot and the WAL after it.
	for i := range members {
		members[i].Close()
		members[i] = nil
	}
	for i := range cfgs {
		start(i)
	}
	put(400, 410)
	for i, ep := range eps {
		c := client(t, ep)
		require.Eventually(t, func() bool {
			r, err := c.Get(ctxT(t), "key0409", clientv3.WithSerializable())
			return err == nil && len(r.Kvs) == 1
		}, 20*time.Second, 20*time.Millisecond, "member %d serves writes after the restart", i+1)
		requireKeys(c, 410, fmt.Sprintf("member %d after all three restarted from their snapshots", i+1))
	}
}
