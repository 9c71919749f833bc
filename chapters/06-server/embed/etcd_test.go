package embed

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	logOutput = io.Discard
	goleak.VerifyTestMain(m)
}

// threeMembers is the configuration of a three-member cluster on loopback, as a script that
// starts etcd would write it, with fast raft timing.
func threeMembers(t *testing.T) []*Config {
	peers, clients := hosts(clustertest.FreeURLs(t, 3)), hosts(clustertest.FreeURLs(t, 3))
	var initial []string
	for i := range 3 {
		initial = append(initial, fmt.Sprintf("infra%d=http://%s", i+1, peers[i]))
	}
	var cfgs []*Config
	for i := range 3 {
		cfg := NewConfig()
		cfg.Name, cfg.Dir = fmt.Sprintf("infra%d", i+1), t.TempDir()
		cfg.ListenPeerUrls = mustURLs("http://" + peers[i])
		cfg.AdvertisePeerUrls = cfg.ListenPeerUrls
		cfg.ListenClientUrls = mustURLs("http://" + clients[i])
		cfg.AdvertiseClientUrls = cfg.ListenClientUrls
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.TickMs, cfg.ElectionMs = 10, 100
		cfgs = append(cfgs, cfg)
	}
	return cfgs
}

// hosts strips the scheme off urls.
func hosts(urls []string) []string {
	for i, u := range urls {
		urls[i] = strings.TrimPrefix(u, "http://")
	}
	return urls
}

func endpoint(cfg *Config) string { return "http://" + cfg.ListenClientUrls[0].Host }

func client(t *testing.T, eps ...string) *clientv3.Client {
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	return cli
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Three members, each started as its own embed.Etcd with etcd's flags, serve chapter 05's client
// as one cluster over their HTTP peer transports; a member closed and started again on its data
// directory comes back with what it had, and catches up.
func TestStartEtcdThreeMembersAndRestart(t *testing.T) {
	cfgs := threeMembers(t)
	members := make([]*Etcd, 3)
	for i, cfg := range cfgs {
		e, err := StartEtcd(cfg)
		require.NoError(t, err, "member %d should start", i+1)
		members[i] = e
	}
	t.Cleanup(func() {
		for _, e := range members {
			e.Close()
		}
	})
	var eps []string
	for _, cfg := range cfgs {
		eps = append(eps, endpoint(cfg))
	}
	cli := client(t, eps...)
	_, err := cli.Put(ctxT(t), "foo", "bar")
	require.NoError(t, err, "a put through the cluster commits once a leader is elected over HTTP")
	for _, ep := range eps {
		r, err := client(t, ep).Get(ctxT(t), "foo")
		require.NoError(t, err)
		require.Len(t, r.Kvs, 1, "a linearizable get through %s sees the put", ep)
		require.Equal(t, "bar", string(r.Kvs[0].Value))
	}
	for _, e := range members {
		<-e.ReadyNotify()
	}
	// Each member published its client URLs: every member lists all three, as etcd's do.
	for _, ep := range eps {
		ml, err := client(t, ep).MemberList(ctxT(t))
		require.NoError(t, err)
		require.Len(t, ml.Members, 3)
		for i, m := range ml.Members {
			require.NotEmpty(t, m.Name, "member %d has published its name", i)
			require.Len(t, m.ClientURLs, 1, "member %s lists %s's client URL, which that member published", ep, m.Name)
		}
	}

	members[1].Close()
	// If member 2 led, a put a follower had forwarded to it is lost with it and times out, as in
	// etcd; the two others elect a leader within a few election timeouts.
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := cli.Put(ctx, "while", "down")
		return err == nil
	}, 20*time.Second, 10*time.Millisecond, "two of three are a quorum: a put commits")
	restarted, err := StartEtcd(cfgs[1])
	require.NoError(t, err, "a member restarts on its data directory, from its WAL")
	members[1] = restarted
	one := client(t, eps[1])
	r, err := one.Get(ctxT(t), "while")
	require.NoError(t, err)
	require.Len(t, r.Kvs, 1, "the restarted member catches up on the write it missed")
	r, err = one.Get(ctxT(t), "foo", clientv3.WithSerializable())
	require.NoError(t, err)
	require.Len(t, r.Kvs, 1, "and still has what it had before")
	require.Equal(t, int64(1), r.Kvs[0].Version, "nothing was applied twice")
}

// Bad starts are refused with a clear error and leave nothing listening.
func TestStartEtcdRefusesBadStarts(t *testing.T) {
	t.Run("port in use", func(t *testing.T) {
		cfg := threeMembers(t)[0]
		taken, err := net.Listen("tcp", cfg.ListenClientUrls[0].Host)
		require.NoError(t, err)
		defer taken.Close()
		_, err = StartEtcd(cfg)
		require.ErrorContains(t, err, cfg.ListenClientUrls[0].Host, "the error names the address in use")
		ln, err := net.Listen("tcp", cfg.ListenPeerUrls[0].Host)
		require.NoError(t, err, "the peer port the refused start had opened is free again")
		ln.Close()
	})
	t.Run("name not in the initial cluster", func(t *testing.T) {
		cfg := threeMembers(t)[0]
		cfg.Name = "stranger"
		_, err := StartEtcd(cfg)
		require.ErrorContains(t, err, `couldn't find local name "stranger" in the initial cluster configuration`)
	})
}
