package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/transport"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wrapped stands for a later chapter's server: chapter 03's, with something of its own around it.
type wrapped struct {
	*etcdserver.EtcdServer
	mu      sync.Mutex
	started bool
	stopped bool
}

func (w *wrapped) Start() {
	w.mu.Lock()
	w.started = true
	w.mu.Unlock()
	w.EtcdServer.Start()
}

func (w *wrapped) Stop() error {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	return w.EtcdServer.Stop()
}

// The cluster runs and serves whatever NewMember builds, each with its own configuration and the
// whole membership: the seam chapter 04 plugs its ReadIndex server into.
func TestClusterStartRunsTheMembersNewMemberBuilds(t *testing.T) {
	urls := clustertest.FreeURLs(t, 3)
	var built []*wrapped
	newMember := func(cfg etcdserver.ServerConfig, net transport.Joiner) (*wrapped, error) {
		s, err := etcdserver.NewServer(cfg, net)
		if err != nil {
			return nil, err
		}
		w := &wrapped{EtcdServer: s}
		built = append(built, w)
		return w, nil
	}
	c, err := Start(Config{ClientURLs: urls, DataDir: t.TempDir(), Server: etcdserver.ServerConfig{TickMs: 10}}, newMember)
	require.NoError(t, err)

	require.Len(t, built, 3, "one member per client URL")
	require.Equal(t, built, c.Members, "Members are what NewMember returned, in URL order")
	for i, cfg := range c.Configs {
		require.Equal(t, fmt.Sprintf("infra%d", i+1), cfg.Name)
		require.Len(t, cfg.Members, 3, "every member knows the whole cluster")
		require.Equal(t, cfg.Members[i].ID, built[i].MemberID(), "member %d's ID is its own entry's", i+1)
		require.True(t, built[i].started, "the cluster starts every member it built")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv := pb.NewKVClient(servetest.Dial(t, c.GRPCServers()[1]))
	require.Eventually(t, func() bool {
		_, err := kv.Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "a put through member 2's gRPC server goes through raft")

	require.NoError(t, c.Stop())
	for i, w := range built {
		require.True(t, w.stopped, "Stop stops member %d through its own Stop", i+1)
	}
}

// A killed member stops answering, with its connections dropped, while the other two go on as a
// quorum; Stop then leaves it alone.
func TestClusterKillTakesOneMemberAway(t *testing.T) {
	urls := clustertest.FreeURLs(t, 3)
	c, err := Start(Config{ClientURLs: urls, DataDir: t.TempDir(), Server: etcdserver.ServerConfig{TickMs: 10}}, NewServer)
	require.NoError(t, err)
	defer func() { require.NoError(t, c.Stop(), "Stop skips the killed member") }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	put := func(kv pb.KVClient) error {
		_, err := kv.Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
		return err
	}
	kvs := []pb.KVClient{}
	for _, gs := range c.GRPCServers() {
		kvs = append(kvs, pb.NewKVClient(servetest.Dial(t, gs)))
	}
	require.Eventually(t, func() bool { return put(kvs[0]) == nil }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, c.Kill(0))
	require.Error(t, put(kvs[0]), "a killed member answers nothing")
	require.Eventually(t, func() bool { return put(kvs[1]) == nil }, 10*time.Second, 10*time.Millisecond,
		"the two others are a quorum: a put through them commits")
	require.NoError(t, c.Kill(0), "killing it again changes nothing")
}
