//go:build workshop_05 || workshop_retry

//etcdwalk:exercise name=Retry tag=workshop_retry tests=^TestRetryDecision$

package clientv3

// isSafeRetry decides whether a failed attempt may be sent again. Workshop exercise "Retry":
// make `go test -tags workshop_retry ./client/v3/` pass. The reference answer is retry.go;
// etcd's is isSafeRetry (retry_interceptor.go) with isSafeRetryImmutableRPC and
// isSafeRetryMutableRPC (retry.go).
//
// TODO: a context error (isContextError) is never retried. A repeatable call (a read) may be
// retried on any Unavailable, and on no other etcd error (rpctypes.Error turns a status into the
// etcd error it stands for; which of etcd's errors are Unavailable?). A nonRepeatable call (a
// write) may be retried only when the error proves the request never reached a member: gRPC
// says so with two messages, "there is no address available" and "there is no connection
// available" (rpctypes.ErrorDesc gives an error's message). Why is "etcdserver: request timed
// out" not safe for a Put?
func isSafeRetry(err error, policy retryPolicy) bool {
	return false
}
