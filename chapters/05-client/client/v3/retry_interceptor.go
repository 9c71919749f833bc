package clientv3

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// unaryClientInterceptor is the retry loop every unary call of the client runs through (etcd's
// retry_interceptor.go). An attempt that fails is sent again, after the backoff, while
// isSafeRetry allows it and attempts remain; the balancer gives each attempt the next
// connection, so a retry after a member went away lands on another one.
func (c *Client) unaryClientInterceptor(optFuncs ...retryOption) grpc.UnaryClientInterceptor {
	intOpts := reuseOrNewWithCallOptions(defaultOptions, optFuncs)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx = withVersion(ctx)
		grpcOpts, retryOpts := filterCallOptions(opts)
		callOpts := reuseOrNewWithCallOptions(intOpts, retryOpts)
		if callOpts.max == 0 {
			return invoker(ctx, method, req, reply, cc, grpcOpts...)
		}
		var p peer.Peer
		grpcOpts = append(grpcOpts, grpc.Peer(&p))
		var lastErr error
		for attempt := uint(0); attempt < callOpts.max; attempt++ {
			if err := waitRetryBackoff(ctx, attempt, callOpts); err != nil {
				return err
			}
			lastErr = invoker(ctx, method, req, reply, cc, grpcOpts...)
			if lastErr == nil {
				return nil
			}
			c.lg.Warn("retrying of unary invoker failed", "target", cc.Target(), "peer", peerAddr(&p),
				"method", method, "attempt", attempt, "error", lastErr)
			if isContextError(lastErr) {
				if ctx.Err() != nil {
					return lastErr // the caller's context ended
				}
				continue // a deadline the server or gRPC set for this attempt only
			}
			if !isSafeRetry(lastErr, callOpts.retryPolicy) {
				return lastErr
			}
		}
		return lastErr
	}
}

func peerAddr(p *peer.Peer) string {
	if p.Addr == nil {
		return ""
	}
	return p.Addr.String()
}

// waitRetryBackoff waits before attempt (not before the first), or until ctx ends.
func waitRetryBackoff(ctx context.Context, attempt uint, callOpts *options) error {
	if attempt == 0 {
		return nil
	}
	wait := callOpts.backoffFunc(attempt)
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return contextErrToGRPCErr(ctx.Err())
	case <-timer.C:
		return nil
	}
}

func isContextError(err error) bool {
	code := status.Code(err)
	return code == codes.DeadlineExceeded || code == codes.Canceled
}

func contextErrToGRPCErr(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	default:
		return status.Error(codes.Unknown, err.Error())
	}
}

// roundRobinQuorumBackoff waits only before every quorum-th attempt: the attempts in between go
// at once to the next members, since with one member down a majority of the others is enough
// to answer (etcd's roundRobinQuorumBackoff).
func (c *Client) roundRobinQuorumBackoff(waitBetween time.Duration, jitterFraction float64) backoffFunc {
	return func(attempt uint) time.Duration {
		quorum := uint(len(c.Endpoints()))/2 + 1
		if attempt%quorum == 0 {
			return jitterUp(waitBetween, jitterFraction)
		}
		return 0
	}
}

// jitterUp is duration made up to jitter fraction longer or shorter at random.
func jitterUp(duration time.Duration, jitter float64) time.Duration {
	multiplier := jitter * (rand.Float64()*2 - 1)
	return time.Duration(float64(duration) * (1 + multiplier))
}

type backoffFunc func(attempt uint) time.Duration

// options are a call's retry settings: the interceptor's defaults, changed by the retryOptions
// among the call's options.
type options struct {
	retryPolicy retryPolicy
	max         uint
	backoffFunc backoffFunc
}

var defaultOptions = &options{
	retryPolicy: nonRepeatable,
	max:         0, // no retries unless the client sets them
	backoffFunc: func(uint) time.Duration { return jitterUp(50*time.Millisecond, 0.10) },
}

// retryOption is a grpc.CallOption that only the interceptor reads; it is taken out of the
// options before the call goes to gRPC.
type retryOption struct {
	grpc.EmptyCallOption
	applyFunc func(*options)
}

func withRepeatablePolicy() retryOption {
	return retryOption{applyFunc: func(o *options) { o.retryPolicy = repeatable }}
}

func withMax(maxRetries uint) retryOption {
	return retryOption{applyFunc: func(o *options) { o.max = maxRetries }}
}

func withBackoff(bf backoffFunc) retryOption {
	return retryOption{applyFunc: func(o *options) { o.backoffFunc = bf }}
}

func reuseOrNewWithCallOptions(opt *options, retryOptions []retryOption) *options {
	if len(retryOptions) == 0 {
		return opt
	}
	copied := *opt
	for _, f := range retryOptions {
		f.applyFunc(&copied)
	}
	return &copied
}

func filterCallOptions(callOptions []grpc.CallOption) (grpcOptions []grpc.CallOption, retryOptions []retryOption) {
	for _, opt := range callOptions {
		if ro, ok := opt.(retryOption); ok {
			retryOptions = append(retryOptions, ro)
		} else {
			grpcOptions = append(grpcOptions, opt)
		}
	}
	return grpcOptions, retryOptions
}
