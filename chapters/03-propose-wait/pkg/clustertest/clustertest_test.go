package clustertest_test

import (
	"sync"
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

type fakeMember uint64

func (f fakeMember) ID() uint64   { return uint64(f) }
func (f fakeMember) Lead() uint64 { return 1 }
func (f fakeMember) Start()       {}
func (f fakeMember) Stop() error  { return nil }

// Every client's operations go through every member in turn, shifted by one each step, and each
// step ends before the next fault.
func TestRunScheduleSpreadsOperationsOverTheMembers(t *testing.T) {
	members := []fakeMember{1, 2, 3}
	var mu sync.Mutex
	seen := map[[2]int]map[uint64]int{} // (step, client) → member → operations
	var steps []int
	clustertest.RunSchedule(transport.NewNetwork(), members, []clustertest.Fault{clustertest.Healthy, clustertest.Heal}, 2, 3,
		func(step, client, n int, m fakeMember) {
			mu.Lock()
			defer mu.Unlock()
			k := [2]int{step, client}
			if seen[k] == nil {
				seen[k] = map[uint64]int{}
			}
			seen[k][m.ID()]++
		}, func(step int) {
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, seen, 2*(step+1), "step %d ends once its clients are done", step)
			steps = append(steps, step)
		})
	require.Equal(t, []int{0, 1}, steps)
	for k, byMember := range seen {
		require.Equal(t, map[uint64]int{1: 1, 2: 1, 3: 1}, byMember, "step %d, client %d: one operation through each member", k[0], k[1])
	}
}
