package clientv3

import (
	"math"
	"time"

	"google.golang.org/grpc"
)

// Every call of the client carries these (etcd's options.go).
var (
	// A call waits for a ready connection instead of failing at once while the balancer
	// (re)connects: with several endpoints, one is usually back within a moment.
	defaultWaitForReady = grpc.WaitForReady(true)

	// The server accepts requests up to 1.5 MiB (--max-request-bytes) plus gRPC's overhead; the
	// client refuses to send more than 2 MiB, and takes responses of any size.
	defaultMaxCallSendMsgSize = grpc.MaxCallSendMsgSize(2 * 1024 * 1024)
	defaultMaxCallRecvMsgSize = grpc.MaxCallRecvMsgSize(math.MaxInt32)

	defaultCallOpts = []grpc.CallOption{defaultWaitForReady, defaultMaxCallSendMsgSize, defaultMaxCallRecvMsgSize}
)

const (
	defaultUnaryMaxRetries       uint = 100
	defaultBackoffWaitBetween         = 25 * time.Millisecond
	defaultBackoffJitterFraction      = 0.10
)
