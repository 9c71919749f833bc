package server

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"google.golang.org/protobuf/proto"
)

// Version is the etcd API version the server speaks, reported by Status. Clients use it only to
// refuse servers older than 3.0.
const Version = "3.6.0"

const minDBSize = 4096

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
