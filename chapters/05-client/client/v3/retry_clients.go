package clientv3

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"google.golang.org/grpc"
)

// retryPolicy says how far a failed call may be sent again.
type retryPolicy uint8

const (
	repeatable    retryPolicy = iota // reads: on any Unavailable
	nonRepeatable                    // writes: only if the request never left
)

func (rp retryPolicy) String() string {
	switch rp {
	case repeatable:
		return "repeatable"
	case nonRepeatable:
		return "nonRepeatable"
	default:
		return "UNKNOWN"
	}
}

// The retrying clients mark each call with its policy; the retry interceptor acts on it (etcd's
// retry.go). Reads are repeatable; every write, and Txn, is not.

type retryKVClient struct{ kc pb.KVClient }

// RetryKVClient is a KVClient over the client's connection whose Range calls may be retried.
func RetryKVClient(c *Client) pb.KVClient { return &retryKVClient{kc: pb.NewKVClient(c.conn)} }

func (rkv *retryKVClient) Range(ctx context.Context, in *pb.RangeRequest, opts ...grpc.CallOption) (*pb.RangeResponse, error) {
	return rkv.kc.Range(ctx, in, append(opts, withRepeatablePolicy())...)
}

func (rkv *retryKVClient) Put(ctx context.Context, in *pb.PutRequest, opts ...grpc.CallOption) (*pb.PutResponse, error) {
	return rkv.kc.Put(ctx, in, opts...)
}

func (rkv *retryKVClient) DeleteRange(ctx context.Context, in *pb.DeleteRangeRequest, opts ...grpc.CallOption) (*pb.DeleteRangeResponse, error) {
	return rkv.kc.DeleteRange(ctx, in, opts...)
}

func (rkv *retryKVClient) Txn(ctx context.Context, in *pb.TxnRequest, opts ...grpc.CallOption) (*pb.TxnResponse, error) {
	return rkv.kc.Txn(ctx, in, opts...)
}

func (rkv *retryKVClient) Compact(ctx context.Context, in *pb.CompactionRequest, opts ...grpc.CallOption) (*pb.CompactionResponse, error) {
	return rkv.kc.Compact(ctx, in, opts...)
}

type retryClusterClient struct{ cc pb.ClusterClient }

// RetryClusterClient is a ClusterClient whose MemberList calls may be retried.
func RetryClusterClient(c *Client) pb.ClusterClient {
	return &retryClusterClient{cc: pb.NewClusterClient(c.conn)}
}

func (rcc *retryClusterClient) MemberList(ctx context.Context, in *pb.MemberListRequest, opts ...grpc.CallOption) (*pb.MemberListResponse, error) {
	return rcc.cc.MemberList(ctx, in, append(opts, withRepeatablePolicy())...)
}

type retryMaintenanceClient struct{ mc pb.MaintenanceClient }

// RetryMaintenanceClient is a MaintenanceClient whose Alarm and Status calls may be retried;
// Defragment may not.
func RetryMaintenanceClient(conn *grpc.ClientConn) pb.MaintenanceClient {
	return &retryMaintenanceClient{mc: pb.NewMaintenanceClient(conn)}
}

func (rmc *retryMaintenanceClient) Alarm(ctx context.Context, in *pb.AlarmRequest, opts ...grpc.CallOption) (*pb.AlarmResponse, error) {
	return rmc.mc.Alarm(ctx, in, append(opts, withRepeatablePolicy())...)
}

func (rmc *retryMaintenanceClient) Status(ctx context.Context, in *pb.StatusRequest, opts ...grpc.CallOption) (*pb.StatusResponse, error) {
	return rmc.mc.Status(ctx, in, append(opts, withRepeatablePolicy())...)
}

func (rmc *retryMaintenanceClient) Defragment(ctx context.Context, in *pb.DefragmentRequest, opts ...grpc.CallOption) (*pb.DefragmentResponse, error) {
	return rmc.mc.Defragment(ctx, in, opts...)
}
