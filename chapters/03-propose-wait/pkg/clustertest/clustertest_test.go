package clustertest_test

import (
	"testing"

	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/transport"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The helpers on three chapter 03 members: a leader is agreed on, a fault cuts the one named,
// and the others elect a new leader among them.
func TestFaultsOnARealCluster(t *testing.T) {
	net := transport.NewNetwork()
	var members []*etcdserver.EtcdServer
	ms := clustertest.Members(3, 43000)
	for _, m := range ms {
		s, err := etcdserver.NewServer(etcdserver.ServerConfig{Name: m.Name, DataDir: t.TempDir(), Members: ms, TickMs: 10}, net)
		require.NoError(t, err)
		members = append(members, s)
	}
	clustertest.Start(t, net, members)

	lead := clustertest.Leader(t, members)
	require.Equal(t, lead, clustertest.CurrentLeader(members))
	others := clustertest.Followers(members, lead)
	require.Len(t, others, 2)
	require.NotContains(t, others, lead)

	clustertest.Apply(net, members, clustertest.IsolateLeader)
	next := clustertest.Leader(t, others)
	require.NotEqual(t, lead.ID(), next.ID(), "the isolated leader cannot lead the other two")

	clustertest.Apply(net, members, clustertest.Heal)
	require.Equal(t, next.ID(), clustertest.Leader(t, members).ID(), "healed, the old leader follows the new one")
}
