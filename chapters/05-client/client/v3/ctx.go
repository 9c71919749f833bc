package clientv3

import (
	"context"

	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"google.golang.org/grpc/metadata"
)

// APIVersion is the etcd API version this client speaks, sent with every call.
const APIVersion = "3.6"

// WithRequireLeader makes the calls under ctx fail at once with "etcdserver: no leader" when the
// member that gets them knows no leader, instead of waiting for one.
func WithRequireLeader(ctx context.Context) context.Context {
	return withMetadata(ctx, rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader)
}

func withVersion(ctx context.Context) context.Context {
	return withMetadata(ctx, rpctypes.MetadataClientAPIVersionKey, APIVersion)
}

func withMetadata(ctx context.Context, key, value string) context.Context {
	md, ok := metadata.FromOutgoingContext(ctx)
	if !ok {
		return metadata.NewOutgoingContext(ctx, metadata.Pairs(key, value))
	}
	md = md.Copy() // the caller's may be in use by another call
	md.Set(key, value)
	return metadata.NewOutgoingContext(ctx, md)
}
