package config

// etcd's defaults for --max-txn-ops, --max-request-bytes and --quota-backend-bytes.
const (
	DefaultMaxTxnOps       = 128
	DefaultMaxRequestBytes = 1536 * 1024
	DefaultQuotaBytes      = 2 << 30
)

// Limits are the bounds a server puts on requests and on its store.
type Limits struct {
	// MaxTxnOps bounds the operations of one txn (etcd's --max-txn-ops).
	MaxTxnOps uint
	// MaxRequestBytes bounds a request's size, measured as the raft entry that carries it
	// (--max-request-bytes). The gRPC receive limit is this plus gRPC's framing overhead.
	MaxRequestBytes uint
	// QuotaBackendBytes bounds the backend's size (--quota-backend-bytes): 0 means
	// DefaultQuotaBytes, negative means no quota, as in etcd.
	QuotaBackendBytes int64
}

// WithDefaults returns l with every zero field set to etcd's default.
func (l Limits) WithDefaults() Limits {
	if l.MaxTxnOps == 0 {
		l.MaxTxnOps = DefaultMaxTxnOps
	}
	if l.MaxRequestBytes == 0 {
		l.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if l.QuotaBackendBytes == 0 {
		l.QuotaBackendBytes = DefaultQuotaBytes
	}
	return l
}

// GRPCOverheadBytes is the room etcd adds to --max-request-bytes for gRPC framing when it sets the
// gRPC server's receive limit (v3rpc's grpcOverheadBytes).
const GRPCOverheadBytes = 512 * 1024

// MaxRecvMsgSize is the gRPC server's receive limit for these limits, as etcd sets it.
func (l Limits) MaxRecvMsgSize() int { return int(l.MaxRequestBytes) + GRPCOverheadBytes }
