package etcdserver

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/transport"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
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
	var members []membership.Member
	for i := range n {
		u := fmt.Sprintf("http://127.0.0.1:%d", 41000+i)
		members = append(members, membership.Member{ID: membership.ComputeMemberID([]string{u}, "test"), Name: fmt.Sprintf("m%d", i+1), ClientURLs: []string{u}})
	}
	for _, m := range members {
		cfg := etcdserver.ServerConfig{Name: m.Name, DataDir: t.TempDir(), Members: members, TickMs: 10, ElectionTicks: 10, RequestTimeout: reqTimeout}
		s, err := NewServer(cfg, c.net)
		require.NoError(t, err)
		c.members = append(c.members, s)
	}
	for _, s := range c.members {
		s.Start()
	}
	t.Cleanup(func() {
		for _, s := range c.members {
			c.net.Leave(s.ID())
			require.NoError(t, s.Stop())
		}
	})
	return c
}

// leader waits until the members of group (default: all) agree on a leader among them.
func (c *testCluster) leader(t *testing.T, group ...*EtcdServer) *EtcdServer {
	t.Helper()
	if len(group) == 0 {
		group = c.members
	}
	var lead *EtcdServer
	require.Eventually(t, func() bool {
		l := group[0].Lead()
		lead = nil
		for _, s := range group {
			if s.Lead() != l || l == raft.None {
				return false
			}
			if s.ID() == l {
				lead = s
			}
		}
		return lead != nil
	}, 10*time.Second, time.Millisecond, "the members never agreed on a leader")
	return lead
}

func (c *testCluster) followers(lead *EtcdServer) []*EtcdServer {
	var out []*EtcdServer
	for _, s := range c.members {
		if s != lead {
			out = append(out, s)
		}
	}
	return out
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
