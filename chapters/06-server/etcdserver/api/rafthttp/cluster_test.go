package rafthttp

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/03-propose-wait/etcdserver"

	"github.com/stretchr/testify/require"
)

// TestChapter03ClusterOverHTTP is the seam's proof: three chapter 03 EtcdServers, each given a
// Transport as its transport.Joiner, elect a leader and commit a put over loopback HTTP. The
// wiring is what a later step's embed does: Transport with the cluster ID, peers added before
// NewServer (Join starts them), Handler served on the peer listener, then Start.
func TestChapter03ClusterOverHTTP(t *testing.T) {
	const n = 3
	srvs := make([]*httptest.Server, n)
	trs := make([]*Transport, n)
	var members []membership.Member
	var ids []uint64
	for i := range n {
		trs[i] = &Transport{}
		srvs[i] = httptest.NewUnstartedServer(trs[i].Handler())
		peerURL := "http://" + srvs[i].Listener.Addr().String()
		m := membership.NewMember(fmt.Sprintf("infra%d", i+1), []string{peerURL}, "etcd-cluster", nil)
		members = append(members, m)
		ids = append(ids, m.ID)
	}
	cid := membership.ComputeClusterID(ids)

	servers := make([]*etcdserver.EtcdServer, n)
	for i := range n {
		trs[i].ClusterID = cid
		trs[i].URLs = members[i].PeerURLs
		for j, m := range members {
			if j != i {
				require.NoError(t, trs[i].AddPeer(m.ID, m.PeerURLs))
			}
		}
		s, err := etcdserver.NewServer(etcdserver.ServerConfig{
			Name: members[i].Name, DataDir: t.TempDir(), Members: members, TickMs: 10,
		}, trs[i])
		require.NoError(t, err)
		require.Equal(t, cid, s.ClusterID(), "the transport and the server agree on the cluster ID")
		servers[i] = s
		srvs[i].Start()
	}
	t.Cleanup(func() {
		for i := range n {
			require.NoError(t, servers[i].Stop()) // stops its transport too
			srvs[i].Close()
		}
	})
	for _, s := range servers {
		s.Start()
	}

	require.Eventually(t, func() bool {
		lead := servers[0].Lead()
		for _, s := range servers {
			if s.Lead() == 0 || s.Lead() != lead {
				return false
			}
		}
		return true
	}, waitFor, tick, "the three members should agree on a leader over their HTTP transports")

	// Put on a follower: its raft forwards the proposal to the leader through the transport.
	follower := servers[0]
	for _, s := range servers {
		if !s.IsLeader() {
			follower = s
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err := follower.Put(ctx, &pb.PutRequest{Key: []byte("foo"), Value: []byte("bar")})
	require.NoError(t, err, "a put through a follower should commit")

	for i, s := range servers {
		require.Eventually(t, func() bool {
			resp, err := s.Range(context.Background(), &pb.RangeRequest{Key: []byte("foo"), Serializable: true})
			return err == nil && len(resp.Kvs) == 1 && string(resp.Kvs[0].Value) == "bar"
		}, waitFor, tick, "member %d should apply the put", i+1)
	}
	for i, tr := range trs {
		require.Equal(t, n-1, tr.ActivePeers(), "member %d's links to both peers should be up", i+1)
	}
}
