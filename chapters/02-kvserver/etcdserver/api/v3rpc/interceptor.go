package v3rpc

import (
	"context"

	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Leaderer is a member that runs raft (chapter 03 on): Lead is the leader it knows, 0 for none.
type Leaderer interface {
	Lead() uint64
}

// requireLeader refuses a request that asks for a leader (the "hasleader" metadata) while the
// member knows none, with etcd's "etcdserver: no leader", instead of letting it wait for a
// timeout. It is the no-leader check of etcd's newUnaryInterceptor (v3rpc/interceptor.go).
func requireLeader(s Leaderer) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			if ks := md.Get(rpctypes.MetadataRequireLeaderKey); len(ks) > 0 && ks[0] == rpctypes.MetadataHasLeader && s.Lead() == 0 {
				return nil, rpctypes.ErrGRPCNoLeader
			}
		}
		return handler(ctx, req)
	}
}
