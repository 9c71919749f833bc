package clustertest

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/03-propose-wait/transport"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
)

// Member is a member as the helpers see it: chapter 03's EtcdServer, or chapter 04's.
type Member interface {
	ID() uint64
	Lead() uint64
	Start()
	Stop() error
}

// Members is n members named m1, m2, ..., each with a made-up client URL on 127.0.0.1 from
// basePort on, and its ID computed from it (no peer URLs in chapters 03 and 04).
func Members(n, basePort int) []membership.Member {
	var out []membership.Member
	for i := range n {
		u := fmt.Sprintf("http://127.0.0.1:%d", basePort+i)
		out = append(out, membership.Member{ID: membership.ComputeMemberID([]string{u}, "test"), Name: fmt.Sprintf("m%d", i+1), ClientURLs: []string{u}})
	}
	return out
}

// Start starts every member; when the test ends, each leaves net and must stop cleanly.
func Start[S Member](t testing.TB, net *transport.Network, members []S) {
	for _, s := range members {
		s.Start()
	}
	t.Cleanup(func() {
		for _, s := range members {
			net.Leave(s.ID())
			require.NoError(t, s.Stop(), "member %x should stop cleanly", s.ID())
		}
	})
}

// Leader waits until every member of group agrees on a leader among them, and returns it.
func Leader[S Member](t testing.TB, group []S) S {
	t.Helper()
	var lead S
	require.Eventually(t, func() bool {
		l, found := group[0].Lead(), false
		for _, s := range group {
			if s.Lead() != l || l == raft.None {
				return false
			}
			if s.ID() == l {
				lead, found = s, true
			}
		}
		return found
	}, 10*time.Second, 5*time.Millisecond, "the members should agree on a leader among them")
	return lead
}

// Followers are the members other than lead.
func Followers[S Member](members []S, lead S) []S {
	var out []S
	for _, s := range members {
		if s.ID() != lead.ID() {
			out = append(out, s)
		}
	}
	return out
}

// CurrentLeader is the member that believes it leads, or the first member if none does yet.
func CurrentLeader[S Member](members []S) S {
	for _, s := range members {
		if s.Lead() == s.ID() {
			return s
		}
	}
	return members[0]
}

// Fault is one step of a fault schedule: how the network between the members changes before the
// step's requests. Applied in a fixed order, a schedule breaks a cluster the same way in every run.
type Fault string

const (
	Healthy          Fault = "healthy"             // leave the network as it is
	IsolateLeader    Fault = "leader isolated"     // cut the member that believes it leads off
	IsolateFollower  Fault = "a follower isolated" // cut off the first member that does not lead
	IsolateFollower2 Fault = "another follower isolated"
	Heal             Fault = "healed" // reconnect every member
)

// Apply makes fault happen to the members on net.
func Apply[S Member](net *transport.Network, members []S, fault Fault) {
	switch fault {
	case IsolateLeader:
		net.Isolate(CurrentLeader(members).ID())
	case IsolateFollower:
		net.Isolate(Followers(members, CurrentLeader(members))[0].ID())
	case IsolateFollower2:
		net.Isolate(Followers(members, CurrentLeader(members))[1].ID())
	case Heal:
		net.Heal()
	}
}

// RunSchedule runs a fault schedule: for each step it applies the step's fault, then clients
// goroutines each do opsPerStep operations, operation n of client c through member
// (c+n+step) mod len(members), so that every member serves every client; the step ends when all
// have returned. afterStep, if not nil, runs after each step (to give up early, say).
func RunSchedule[S Member](net *transport.Network, members []S, faults []Fault, clients, opsPerStep int,
	do func(step, client, n int, member S), afterStep func(step int)) {
	for step, f := range faults {
		Apply(net, members, f)
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				for n := range opsPerStep {
					do(step, c, n, members[(c+n+step)%len(members)])
				}
			})
		}
		wg.Wait()
		if afterStep != nil {
			afterStep(step)
		}
	}
}

// FreeURLs is n client URLs on 127.0.0.1 ports that were free a moment ago, for clusters served on
// real sockets (chapter 03's cluster tests, chapter 05's client suite, chapter 06's members).
func FreeURLs(t testing.TB, n int) []string {
	t.Helper()
	var urls []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		urls = append(urls, "http://"+ln.Addr().String())
		require.NoError(t, ln.Close())
	}
	return urls
}
