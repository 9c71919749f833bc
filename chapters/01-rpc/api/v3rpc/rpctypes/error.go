package rpctypes

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Request validation (etcd's v3rpc/key.go check*Request functions return these).
var (
	ErrGRPCEmptyKey          = status.Error(codes.InvalidArgument, "etcdserver: key is not provided")
	ErrGRPCKeyNotFound       = status.Error(codes.InvalidArgument, "etcdserver: key not found")
	ErrGRPCValueProvided     = status.Error(codes.InvalidArgument, "etcdserver: value is provided")
	ErrGRPCLeaseProvided     = status.Error(codes.InvalidArgument, "etcdserver: lease is provided")
	ErrGRPCTooManyOps        = status.Error(codes.InvalidArgument, "etcdserver: too many operations in txn request")
	ErrGRPCDuplicateKey      = status.Error(codes.InvalidArgument, "etcdserver: duplicate key given in txn request")
	ErrGRPCInvalidSortOption = status.Error(codes.InvalidArgument, "etcdserver: invalid sort option")
	ErrGRPCRequestTooLarge   = status.Error(codes.InvalidArgument, "etcdserver: request is too large")
)

// The MVCC store's answers about revisions and space.
var (
	ErrGRPCCompacted = status.Error(codes.OutOfRange, "etcdserver: mvcc: required revision has been compacted")
	ErrGRPCFutureRev = status.Error(codes.OutOfRange, "etcdserver: mvcc: required revision is a future revision")
	ErrGRPCNoSpace   = status.Error(codes.ResourceExhausted, "etcdserver: mvcc: database space exceeded")
)

// ErrGRPCLeaseNotFound answers a request naming a lease that does not exist.
var ErrGRPCLeaseNotFound = status.Error(codes.NotFound, "etcdserver: requested lease not found")

// The server and raft's answers when a request could not be carried out.
var (
	ErrGRPCRequestTooManyRequests     = status.Error(codes.ResourceExhausted, "etcdserver: too many requests")
	ErrGRPCNoLeader                   = status.Error(codes.Unavailable, "etcdserver: no leader")
	ErrGRPCNotLeader                  = status.Error(codes.FailedPrecondition, "etcdserver: not leader")
	ErrGRPCLeaderChanged              = status.Error(codes.Unavailable, "etcdserver: leader changed")
	ErrGRPCStopped                    = status.Error(codes.Unavailable, "etcdserver: server stopped")
	ErrGRPCTimeout                    = status.Error(codes.Unavailable, "etcdserver: request timed out")
	ErrGRPCTimeoutDueToLeaderFail     = status.Error(codes.Unavailable, "etcdserver: request timed out, possibly due to previous leader failure")
	ErrGRPCTimeoutDueToConnectionLost = status.Error(codes.Unavailable, "etcdserver: request timed out, possibly due to connection lost")
	ErrGRPCTimeoutWaitAppliedIndex    = status.Error(codes.Unavailable, "etcdserver: request timed out, waiting for the applied index took too long")
	ErrGRPCCorrupt                    = status.Error(codes.DataLoss, "etcdserver: corrupt cluster")
	ErrGRPCCanceled                   = status.Error(codes.Canceled, "etcdserver: request canceled")
	ErrGRPCDeadlineExceeded           = status.Error(codes.DeadlineExceeded, "etcdserver: context deadline exceeded")
)

// The gRPC metadata by which a client asks that a request fail at once when the member knows no
// leader (clientv3.WithRequireLeader puts it on its calls): etcd's rpctypes/metadatafields.go.
const (
	MetadataRequireLeaderKey = "hasleader"
	MetadataHasLeader        = "true"
)

// MetadataClientAPIVersionKey carries the API version of the client that sent a call (clientv3
// puts "3.6" on every call; etcd's server reads it only for logging).
const MetadataClientAPIVersionKey = "client-api-version"
