package server

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"strings"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"google.golang.org/protobuf/proto"
)

// Version is the etcd API version the server speaks, reported by Status. Clients use it only to
// refuse servers older than 3.0.
const Version = "3.6.0"

const minDBSize = 4096

// memberID derives a member ID the way etcd's membership.NewMember does: the first 8 bytes of the
// SHA-1 of the member's URLs followed by the cluster token. A single member without peers has no
// peer URLs, so its client URLs stand in.
func memberID(urls []string, clusterToken string) uint64 {
	sum := sha1.Sum([]byte(strings.Join(urls, "") + clusterToken))
	return binary.BigEndian.Uint64(sum[:8])
}

// clusterID derives the cluster ID from its members' IDs, as etcd's RaftCluster.genID does.
func clusterID(memberIDs ...uint64) uint64 {
	b := make([]byte, 8*len(memberIDs))
	for i, id := range memberIDs {
		binary.BigEndian.PutUint64(b[8*i:], id)
	}
	sum := sha1.Sum(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// clusterServer answers MemberList with the one member there is.
type clusterServer struct {
	pb.UnimplementedClusterServer
	hdr    header
	st     *memStore
	member *pb.Member
}

func (s *clusterServer) MemberList(context.Context, *pb.MemberListRequest) (*pb.MemberListResponse, error) {
	resp := &pb.MemberListResponse{Header: &pb.ResponseHeader{}, Members: []*pb.Member{s.member}}
	s.st.mu.Lock()
	s.hdr.fill(resp.Header, s.st.rev)
	s.st.mu.Unlock()
	return resp, nil
}

// maintenanceServer answers Status. With no raft the member is its own leader at term 0. There is
// no backend file, so dbSize and dbSizeInUse report the encoded size of the stored pairs, never
// less than one 4 KiB page: etcd's bbolt file is never empty, and etcdctl's
// `endpoint status -w table` divides by dbSize.
type maintenanceServer struct {
	pb.UnimplementedMaintenanceServer
	hdr header
	st  *memStore
}

func (s *maintenanceServer) Status(context.Context, *pb.StatusRequest) (*pb.StatusResponse, error) {
	resp := &pb.StatusResponse{Header: &pb.ResponseHeader{}, Version: Version, Leader: s.hdr.memberID}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	size := int64(minDBSize)
	for _, kv := range s.st.kvs {
		size += int64(proto.Size(kv))
	}
	resp.DbSize, resp.DbSizeInUse = size, size
	s.hdr.fill(resp.Header, s.st.rev)
	return resp, nil
}
