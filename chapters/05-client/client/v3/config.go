package clientv3

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc"
)

// Config is how a client is set up (etcd's clientv3.Config, the fields this client has).
type Config struct {
	// Endpoints are the members' client URLs: "http://127.0.0.1:2379", or host:port.
	Endpoints []string

	// AutoSyncInterval, if set, is how often the client replaces its endpoints with the client
	// URLs the cluster's MemberList gives.
	AutoSyncInterval time.Duration

	// DialTimeout bounds New's dial (and RejectOldCluster's version check). Zero: no bound.
	DialTimeout time.Duration

	// DialKeepAliveTime, if set, is how long a connection may stay idle before the client pings
	// the server; DialKeepAliveTimeout is how long it waits for the answer before it closes the
	// connection.
	DialKeepAliveTime    time.Duration
	DialKeepAliveTimeout time.Duration

	// MaxCallSendMsgSize and MaxCallRecvMsgSize bound request and response size on the client
	// side (defaults: 2 MiB, and no bound).
	MaxCallSendMsgSize int
	MaxCallRecvMsgSize int

	// DialOptions are added to the client's own gRPC dial options.
	DialOptions []grpc.DialOption

	// Context is the client's parent context: cancelling it ends every call of the client.
	Context context.Context

	// Logger gets the client's logs; by default warnings and above go to stderr.
	Logger *slog.Logger

	// RejectOldCluster makes New fail with ErrOldCluster if a member runs an etcd older than
	// the one before this client's version.
	RejectOldCluster bool

	// PermitWithoutStream lets keepalive pings go out when no call is active.
	PermitWithoutStream bool

	// MaxUnaryRetries bounds the attempts of one call (default 100).
	MaxUnaryRetries uint

	// BackoffWaitBetween is the wait between retries (default 25 ms), BackoffJitterFraction how
	// much of it is random (default 0.10).
	BackoffWaitBetween    time.Duration
	BackoffJitterFraction float64
}
