//go:build !(workshop_05 || workshop_retry)

package clientv3

import (
	"errors"

	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// isSafeRetry decides whether a failed attempt may be sent again (etcd's isSafeRetry and the two
// functions below, in retry_interceptor.go and retry.go). A context error is the caller's end:
// never. Otherwise it depends on the call's policy. Workshop exercise "Retry".
func isSafeRetry(err error, policy retryPolicy) bool {
	if isContextError(err) {
		return false
	}
	switch policy {
	case repeatable:
		return isSafeRetryImmutableRPC(err)
	case nonRepeatable:
		return isSafeRetryMutableRPC(err)
	default:
		return false
	}
}

// isSafeRetryImmutableRPC: a read can be sent as often as needed, so it is retried on every
// Unavailable (no leader, leader changed, timeout, a member going away, a connection that
// failed), and on nothing else: any other etcd error (compacted, key not provided...) would come
// back the same.
func isSafeRetryImmutableRPC(err error) bool {
	var etcdErr rpctypes.EtcdError
	if errors.As(rpctypes.Error(err), &etcdErr) && etcdErr.Code() != codes.Unavailable {
		return false
	}
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.Unavailable
}

// isSafeRetryMutableRPC: a write may have been applied even though its answer never came
// ("request timed out", "leader changed", a connection lost after the request was sent): sent
// again it would be applied twice. It is retried only when gRPC says it had no connection to
// send it on, which proves the server never saw it.
func isSafeRetryMutableRPC(err error) bool {
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unavailable {
		return false
	}
	desc := rpctypes.ErrorDesc(err)
	return desc == "there is no address available" || desc == "there is no connection available"
}
