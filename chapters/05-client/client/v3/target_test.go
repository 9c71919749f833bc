package clientv3_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"etcdwalk/chapters/03-propose-wait/cluster"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/transport"
	readindex "etcdwalk/chapters/04-linearizable-read/etcdserver"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The suite runs against chapter 04's cluster, three members started in this process for each
// test; or, with ETCDWALK_ENDPOINTS set (comma-separated client URLs), against a cluster that is
// already running: interop runs it so against a three-process real etcd, with the assertions
// unchanged, and a reader can point it at any etcd. ETCDWALK_PIDS, if set, gives the process of
// each endpoint, in the same order, for the failover tests to kill.
const (
	envEndpoints = "ETCDWALK_ENDPOINTS"
	envPids      = "ETCDWALK_PIDS"
)

// target is a running three-member cluster the suite talks to.
type target struct {
	endpoints []string
	kill      func(i int) // takes member i away, as a crash would
	external  bool
}

func newTarget(t *testing.T) *target {
	t.Helper()
	if eps := os.Getenv(envEndpoints); eps != "" {
		return externalTarget(t, strings.Split(eps, ","))
	}
	urls := clustertest.FreeURLs(t, 3)
	c, err := cluster.Start(cluster.Config{ClientURLs: urls, DataDir: t.TempDir(), Logger: discard(),
		Server: etcdserver.ServerConfig{TickMs: 10, ElectionTicks: 10}},
		func(cfg etcdserver.ServerConfig, net transport.Joiner) (*readindex.EtcdServer, error) {
			return readindex.NewServer(cfg, net)
		})
	require.NoError(t, err, "chapter 04's cluster should start")
	t.Cleanup(func() { require.NoError(t, c.Stop()) })
	// As a running cluster would be: the tests begin once the members agree on a leader, so that
	// what they see is the client's doing, not an election's.
	clustertest.Leader(t, c.Members)
	return &target{endpoints: urls, kill: func(i int) { require.NoError(t, c.Kill(i)) }}
}

func externalTarget(t *testing.T, eps []string) *target {
	tg := &target{endpoints: eps, external: true}
	pids := os.Getenv(envPids)
	tg.kill = func(i int) {
		if pids == "" {
			t.Fatalf("%s is not set: the suite cannot kill a member of the cluster at %s", envPids, os.Getenv(envEndpoints))
		}
		fields := strings.Split(pids, ",")
		require.Len(t, fields, len(eps), "%s names one process per endpoint", envPids)
		pid, err := strconv.Atoi(fields[i])
		require.NoError(t, err)
		require.NoError(t, syscall.Kill(pid, syscall.SIGKILL), "kill -9 %d (%s)", pid, eps[i])
	}
	return tg
}

// client is a client of the whole cluster, closed when the test ends.
func (tg *target) client(t *testing.T, cfg ...func(*clientv3.Config)) *clientv3.Client {
	t.Helper()
	c := clientv3.Config{Endpoints: tg.endpoints, DialTimeout: 5 * time.Second, Logger: discard()}
	for _, f := range cfg {
		f(&c)
	}
	cli, err := clientv3.New(c)
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli
}

// leader is the index of the member that leads, as the members' Status says.
func (tg *target) leader(t *testing.T, cli *clientv3.Client) int {
	t.Helper()
	idx := -1
	require.Eventually(t, func() bool {
		ids := map[uint64]int{}
		var lead uint64
		for i, ep := range tg.endpoints {
			st, err := cli.Status(ctxT(t), ep)
			if err != nil || st.Leader == 0 || (lead != 0 && st.Leader != lead) {
				return false
			}
			lead, ids[st.Header.MemberId] = st.Leader, i
		}
		i, ok := ids[lead]
		idx = i
		return ok
	}, 10*time.Second, 20*time.Millisecond, "the members should agree on a leader")
	return idx
}

// prefix is a key prefix of the test's own, so that runs against a shared cluster do not meet.
func prefix(t *testing.T) string {
	return t.Name() + "/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/"
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
