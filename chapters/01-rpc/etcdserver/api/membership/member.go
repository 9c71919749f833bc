package membership

import (
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"slices"
	"strings"
)

// Member is one member of a cluster, as MemberList shows it.
type Member struct {
	ID         uint64
	Name       string
	PeerURLs   []string
	ClientURLs []string
}

// NewMember returns the member with its ID computed from its peer URLs and the cluster token.
func NewMember(name string, peerURLs []string, clusterToken string, clientURLs []string) Member {
	return Member{ID: ComputeMemberID(peerURLs, clusterToken), Name: name, PeerURLs: peerURLs, ClientURLs: clientURLs}
}

// ComputeMemberID is etcd's computeMemberID for a member of the initial cluster: the first 8 bytes
// of the SHA-1 of the sorted peer URLs, concatenated, followed by the cluster token. Two members
// with the same URLs in two clusters of different tokens get different IDs.
func ComputeMemberID(peerURLs []string, clusterToken string) uint64 {
	urls := slices.Sorted(slices.Values(peerURLs))
	sum := sha1.Sum([]byte(strings.Join(urls, "") + clusterToken))
	return binary.BigEndian.Uint64(sum[:8])
}

// ComputeClusterID is etcd's RaftCluster.genID: the first 8 bytes of the SHA-1 of the members'
// IDs, sorted, each as 8 big-endian bytes. It depends on who the members are, not on their order.
func ComputeClusterID(memberIDs []uint64) uint64 {
	ids := slices.Sorted(slices.Values(memberIDs))
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.BigEndian.PutUint64(b[8*i:], id)
	}
	sum := sha1.Sum(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// Sort orders members by ID, as etcd's RaftCluster.Members returns them.
func Sort(ms []Member) {
	slices.SortFunc(ms, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
}
