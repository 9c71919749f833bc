package rpctypes

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestErrorTurnsAServerErrorIntoItsEtcdError(t *testing.T) {
	tests := []struct {
		name     string
		received error
		want     error
		code     codes.Code
	}{
		{"compacted", status.Error(codes.OutOfRange, "etcdserver: mvcc: required revision has been compacted"), ErrCompacted, codes.OutOfRange},
		{"no leader", status.Error(codes.Unavailable, "etcdserver: no leader"), ErrNoLeader, codes.Unavailable},
		{"leader changed", status.Error(codes.Unavailable, "etcdserver: leader changed"), ErrLeaderChanged, codes.Unavailable},
		{"timeout", status.Error(codes.Unavailable, "etcdserver: request timed out"), ErrTimeout, codes.Unavailable},
		{"empty key", status.Error(codes.InvalidArgument, "etcdserver: key is not provided"), ErrEmptyKey, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Error(tt.received)
			require.ErrorIs(t, got, tt.want, "a client recognises an etcd error by its message")
			var ee EtcdError
			require.True(t, errors.As(got, &ee))
			require.Equal(t, tt.code, ee.Code())
			require.Equal(t, status.Convert(tt.received).Message(), got.Error(), "the message is the server's")
		})
	}
}

func TestErrorLeavesOtherErrorsAlone(t *testing.T) {
	for _, err := range []error{
		status.Error(codes.Unavailable, "connection error: desc = \"transport: Error while dialing\""),
		context.DeadlineExceeded,
		errors.New("etcdserver: no leader, but not from gRPC"),
	} {
		got := Error(err)
		var ee EtcdError
		require.False(t, errors.As(got, &ee), "only the exact message of an etcd error maps to it: %v", err)
		require.Equal(t, err, got, "an error that is not etcd's comes back as it was")
	}
	require.NoError(t, Error(nil))
}
