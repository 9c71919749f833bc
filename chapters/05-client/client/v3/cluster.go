package clientv3

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"google.golang.org/grpc"
)

type (
	Member             pb.Member
	MemberListResponse pb.MemberListResponse
)

// Cluster is the membership API (etcd's clientv3.Cluster, MemberList only: the servers of
// these chapters do not change their membership).
type Cluster interface {
	// MemberList lists the members; linearizable unless WithSerializable is given.
	MemberList(ctx context.Context, opts ...OpOption) (*MemberListResponse, error)
}

type cluster struct {
	remote   pb.ClusterClient
	callOpts []grpc.CallOption
}

// NewCluster is the Cluster of a client.
func NewCluster(c *Client) Cluster {
	return &cluster{remote: RetryClusterClient(c), callOpts: c.callOpts}
}

func (c *cluster) MemberList(ctx context.Context, opts ...OpOption) (*MemberListResponse, error) {
	op := OpGet("", opts...)
	resp, err := c.remote.MemberList(ctx, &pb.MemberListRequest{Linearizable: !op.serializable}, c.callOpts...)
	if err != nil {
		return nil, ContextError(ctx, err)
	}
	return (*MemberListResponse)(resp), nil
}
