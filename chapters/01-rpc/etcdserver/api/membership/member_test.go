package membership

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The expected IDs are the ones real etcd v3.6 started with no flags reports in its log, in
// `etcdctl member list` and in every response header: member 8e9e05c52164694d of cluster
// cdf818194e3a8c32.
func TestComputeIDsAsEtcd(t *testing.T) {
	tests := []struct {
		name     string
		peerURLs []string
		token    string
		want     uint64
	}{
		{"etcd's default single member", []string{"http://localhost:2380"}, "etcd-cluster", 0x8e9e05c52164694d},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ComputeMemberID(tt.peerURLs, tt.token), "member ID of %v with token %q", tt.peerURLs, tt.token)
		})
	}
	require.Equal(t, uint64(0xcdf818194e3a8c32), ComputeClusterID([]uint64{0x8e9e05c52164694d}),
		"the cluster ID of etcd's default single member")
}

func TestIDsDependOnWhatTheyShould(t *testing.T) {
	a := ComputeMemberID([]string{"http://127.0.0.1:2380", "http://10.0.0.1:2380"}, "t")
	require.Equal(t, a, ComputeMemberID([]string{"http://10.0.0.1:2380", "http://127.0.0.1:2380"}, "t"),
		"the order of a member's peer URLs must not change its ID")
	require.NotEqual(t, a, ComputeMemberID([]string{"http://127.0.0.1:2380", "http://10.0.0.1:2380"}, "other"),
		"the cluster token must change the ID")
	require.Equal(t, ComputeClusterID([]uint64{1, 2, 3}), ComputeClusterID([]uint64{3, 1, 2}),
		"the cluster ID depends on the members, not their order")
	require.NotEqual(t, ComputeClusterID([]uint64{1, 2}), ComputeClusterID([]uint64{1, 2, 3}),
		"the cluster ID depends on every member")

	ms := []Member{{ID: 3}, {ID: 1}, {ID: 2}}
	Sort(ms)
	require.Equal(t, []Member{{ID: 1}, {ID: 2}, {ID: 3}}, ms, "members are listed by ID, as etcd lists them")
}
