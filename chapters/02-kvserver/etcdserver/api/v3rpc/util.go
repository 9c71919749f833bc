package v3rpc

import (
	"context"
	"errors"

	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var toGRPCErrorMap = map[error]error{
	mvcc.ErrCompacted:          rpctypes.ErrGRPCCompacted,
	mvcc.ErrFutureRev:          rpctypes.ErrGRPCFutureRev,
	etcderr.ErrRequestTooLarge: rpctypes.ErrGRPCRequestTooLarge,
	etcderr.ErrNoSpace:         rpctypes.ErrGRPCNoSpace,
	etcderr.ErrTooManyRequests: rpctypes.ErrGRPCRequestTooManyRequests,
	etcderr.ErrKeyNotFound:     rpctypes.ErrGRPCKeyNotFound,
	etcderr.ErrLeaseNotFound:   rpctypes.ErrGRPCLeaseNotFound,

	etcderr.ErrNoLeader:                   rpctypes.ErrGRPCNoLeader,
	etcderr.ErrNotLeader:                  rpctypes.ErrGRPCNotLeader,
	etcderr.ErrLeaderChanged:              rpctypes.ErrGRPCLeaderChanged,
	etcderr.ErrStopped:                    rpctypes.ErrGRPCStopped,
	etcderr.ErrTimeout:                    rpctypes.ErrGRPCTimeout,
	etcderr.ErrTimeoutDueToLeaderFail:     rpctypes.ErrGRPCTimeoutDueToLeaderFail,
	etcderr.ErrTimeoutDueToConnectionLost: rpctypes.ErrGRPCTimeoutDueToConnectionLost,
	etcderr.ErrTimeoutWaitAppliedIndex:    rpctypes.ErrGRPCTimeoutWaitAppliedIndex,
	etcderr.ErrCorrupt:                    rpctypes.ErrGRPCCorrupt,
}

// togRPCError turns an error of the layers below into etcd's gRPC error. Context errors pass
// through (gRPC turns them into Canceled and DeadlineExceeded); anything unknown is Unknown with
// the error's text, as in etcd's util.go.
func togRPCError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if grpcErr, ok := toGRPCErrorMap[err]; ok {
		return grpcErr
	}
	return status.Error(codes.Unknown, err.Error())
}
