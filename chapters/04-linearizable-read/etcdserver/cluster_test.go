package etcdserver

import (
	"context"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/transport"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testCluster is n chapter 04 members on chapter 03's in-memory network, which the tests cut
// and heal.
type testCluster struct {
	net     *transport.Network
	members []*EtcdServer
}

// newTestCluster starts n members with fast raft timing (10 ms ticks, elections after 10). A
// request gives up after reqTimeout: many times what a read round takes here, and short enough
// that a read that cannot be served fails its test quickly.
func newTestCluster(t *testing.T, n int, reqTimeout time.Duration) *testCluster {
	t.Helper()
	c := &testCluster{net: transport.NewNetwork()}
	members := clustertest.Members(n, 41000)
	for _, m := range members {
		cfg := etcdserver.ServerConfig{Name: m.Name, DataDir: t.TempDir(), Members: members, TickMs: 10, ElectionTicks: 10, RequestTimeout: reqTimeout}
		s, err := NewServer(cfg, c.net)
		require.NoError(t, err)
		c.members = append(c.members, s)
	}
	clustertest.Start(t, c.net, c.members)
	return c
}

func (c *testCluster) leader(t *testing.T) *EtcdServer { return clustertest.Leader(t, c.members) }

func (c *testCluster) followers(lead *EtcdServer) []*EtcdServer {
	return clustertest.Followers(c.members, lead)
}

// ctxT bounds one request of a test: a few request timeouts, so that a read that never returns
// (an exercise not written yet) fails its test in seconds.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func put(t *testing.T, s *EtcdServer, key, value string) {
	t.Helper()
	_, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte(key), Value: []byte(value)})
	require.NoError(t, err, "put %s=%s through member %x", key, value, s.ID())
}

// get reads key on s, linearizable or serializable, and returns its value ("" if absent).
func get(ctx context.Context, s *EtcdServer, key string, serializable bool) (string, error) {
	resp, err := s.Range(ctx, &pb.RangeRequest{Key: []byte(key), Serializable: serializable})
	if err != nil {
		return "", err
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}
