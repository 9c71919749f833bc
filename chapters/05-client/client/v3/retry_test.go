package clientv3

import (
	"context"
	"errors"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The retry decision, error by error: a read is sent again on any Unavailable; a write only when
// gRPC had no connection to send it on, for a write that reached a member may have been applied.
func TestRetryDecision(t *testing.T) {
	noConn := status.Error(codes.Unavailable, "there is no connection available")
	noAddr := status.Error(codes.Unavailable, "there is no address available")
	connLost := status.Error(codes.Unavailable, "error reading from server: EOF")
	refused := status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`)
	tests := []struct {
		name      string
		err       error
		readRetry bool
		putRetry  bool
		why       string
	}{
		{"no leader", rpctypes.ErrGRPCNoLeader, true, false,
			"a member without a leader may still forward the write once one is elected: a Put is not retried"},
		{"leader changed", rpctypes.ErrGRPCLeaderChanged, true, false, "the old leader may have committed the write"},
		{"request timed out", rpctypes.ErrGRPCTimeout, true, false,
			"a write that timed out may still be applied: sent again it would be applied twice"},
		{"server stopped", rpctypes.ErrGRPCStopped, true, false, "a stopping member may have proposed the write already"},
		{"connection lost", connLost, true, false, "the request may have reached the member before the connection broke"},
		{"connection refused", refused, true, false,
			"etcd's client retries a write only on the two messages that prove no connection was there"},
		{"no connection available", noConn, true, true, "the request never left the client: safe for any call"},
		{"no address available", noAddr, true, true, "the request never left the client: safe for any call"},
		{"compacted", rpctypes.ErrGRPCCompacted, false, false, "the answer would be the same: never retried"},
		{"empty key", rpctypes.ErrGRPCEmptyKey, false, false, "a bad request stays bad: never retried"},
		{"internal error", status.Error(codes.Internal, "grpc: error unmarshalling response"), false, false,
			"only Unavailable says the member could not serve the call"},
		{"too many requests", rpctypes.ErrGRPCRequestTooManyRequests, false, false, "ResourceExhausted is not Unavailable"},
		{"deadline", status.Error(codes.DeadlineExceeded, "context deadline exceeded"), false, false, "the caller's time is up"},
		{"canceled", status.Error(codes.Canceled, "context canceled"), false, false, "the caller gave up"},
		{"not a gRPC error", errors.New("dial failed"), false, false, "an error from outside gRPC is not retried"},
		{"context error", context.DeadlineExceeded, false, false, "the caller's time is up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.readRetry, isSafeRetry(tt.err, repeatable), "retry a Range after %q? %s", tt.err, tt.why)
			require.Equal(t, tt.putRetry, isSafeRetry(tt.err, nonRepeatable), "retry a Put after %q? %s", tt.err, tt.why)
		})
	}
}

// policyOf is the retry policy a call's options give it.
func policyOf(opts []grpc.CallOption) retryPolicy {
	_, ro := filterCallOptions(opts)
	return reuseOrNewWithCallOptions(defaultOptions, ro).retryPolicy
}

// recordingKV is a KVClient that keeps the retry policy of each call.
type recordingKV struct {
	pb.KVClient
	got map[string]retryPolicy
}

func (r *recordingKV) Range(_ context.Context, _ *pb.RangeRequest, opts ...grpc.CallOption) (*pb.RangeResponse, error) {
	r.got["Range"] = policyOf(opts)
	return &pb.RangeResponse{}, nil
}

func (r *recordingKV) Put(_ context.Context, _ *pb.PutRequest, opts ...grpc.CallOption) (*pb.PutResponse, error) {
	r.got["Put"] = policyOf(opts)
	return &pb.PutResponse{}, nil
}

func (r *recordingKV) DeleteRange(_ context.Context, _ *pb.DeleteRangeRequest, opts ...grpc.CallOption) (*pb.DeleteRangeResponse, error) {
	r.got["DeleteRange"] = policyOf(opts)
	return &pb.DeleteRangeResponse{}, nil
}

func (r *recordingKV) Txn(_ context.Context, _ *pb.TxnRequest, opts ...grpc.CallOption) (*pb.TxnResponse, error) {
	r.got["Txn"] = policyOf(opts)
	return &pb.TxnResponse{}, nil
}

// The retrying KVClient marks Range repeatable and leaves every write, and Txn, a mutation.
func TestRetryPolicyOfEachCall(t *testing.T) {
	rec := &recordingKV{got: map[string]retryPolicy{}}
	kv := NewKVFromKVClient(&retryKVClient{kc: rec}, nil)
	ctx := context.Background()
	_, err := kv.Get(ctx, "k")
	require.NoError(t, err)
	_, err = kv.Put(ctx, "k", "v")
	require.NoError(t, err)
	_, err = kv.Delete(ctx, "k")
	require.NoError(t, err)
	_, err = kv.Txn(ctx).Then(OpGet("k")).Commit()
	require.NoError(t, err)
	require.Equal(t, map[string]retryPolicy{"Range": repeatable, "Put": nonRepeatable, "DeleteRange": nonRepeatable, "Txn": nonRepeatable}, rec.got)
	require.Equal(t, uint(0), defaultOptions.max, "a call's options never change the defaults")
}

// The backoff waits only every quorum-th attempt: with three endpoints, attempts 1 and 3 go at
// once to the next members, attempt 2 and 4 wait.
func TestRetryBackoffEveryQuorumthAttempt(t *testing.T) {
	c := &Client{endpoints: []string{"a", "b", "c"}}
	backoff := c.roundRobinQuorumBackoff(100, 0)
	var waits []int64
	for attempt := uint(1); attempt <= 4; attempt++ {
		waits = append(waits, int64(backoff(attempt)))
	}
	require.Equal(t, []int64{0, 100, 0, 100}, waits)
}
