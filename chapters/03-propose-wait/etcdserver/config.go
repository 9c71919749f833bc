package etcdserver

import (
	"context"
	"log/slog"
	"time"

	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/02-kvserver/storage/backend"
)

// ServerConfig configures one member (the part of etcd's config.ServerConfig this chapter uses).
type ServerConfig struct {
	Name    string
	DataDir string // this member's directory
	// Members is the initial cluster. Chapter 03 has no peer URLs: each member's ID is computed
	// from its client URLs in their place (membership.ComputeMemberID).
	Members []membership.Member
	// TickMs and ElectionTicks are etcd's --heartbeat-interval (ms) and election timeout in ticks
	// (etcd's --election-timeout is ElectionTicks*TickMs ms). Defaults: 100 and 10.
	TickMs        uint
	ElectionTicks int
	// RequestTimeout overrides etcd's ReqTimeout (5s + 2 election timeouts), for tests.
	RequestTimeout time.Duration
	config.Limits
	// Logger gets what etcd logs at warning level and above (default: slog.Default()).
	Logger *slog.Logger
}

func (c *ServerConfig) setDefaults() {
	if c.TickMs == 0 {
		c.TickMs = 100
	}
	if c.ElectionTicks == 0 {
		c.ElectionTicks = 10
	}
	c.Limits = c.Limits.WithDefaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ReqTimeout is how long a proposal may wait for its result (etcd's ServerConfig.ReqTimeout).
func (c *ServerConfig) ReqTimeout() time.Duration {
	if c.RequestTimeout > 0 {
		return c.RequestTimeout
	}
	return 5*time.Second + 2*c.electionTimeout()
}

func (c *ServerConfig) electionTimeout() time.Duration {
	return time.Duration(c.ElectionTicks) * time.Duration(c.TickMs) * time.Millisecond
}

// A ServerOption plugs a later chapter's part into the server when it is built. There are no
// setters: what a running server uses is fixed before Start.
type ServerOption func(*serverOptions)

type serverOptions struct {
	storage    StorageOpener
	readNotify func(ctx context.Context) error
	snapshots  Snapshots
	backend    backend.BackendConfig
}

// WithBackendBatching switches the backend to etcd's commit policy, for a member whose raft
// storage makes every entry durable (chapter 06's WAL): bbolt commits every interval or every
// limit writes (etcd's --backend-batch-interval and --backend-batch-limit,
// backend.DefaultBatchInterval and DefaultBatchLimit), readers see applied writes through the
// backend's read buffer, and the apply loop answers once the entries are applied, without
// waiting for a bbolt commit: a committed entry is already in the raft storage of a majority. A
// write then costs one fsync, the WAL's. After a crash the
// backend has lost up to an interval of writes, and the member replays them from the WAL: it
// must not be used with a raft storage that is not durable (chapter 03's MemoryLog).
func WithBackendBatching(interval time.Duration, limit int) ServerOption {
	return func(o *serverOptions) {
		o.backend = backend.BackendConfig{BatchInterval: interval, BatchLimit: limit, BufferedReads: true}
	}
}

// WithStorage makes the member keep its raft log in what open returns (default:
// NewMemoryStorage, a fresh in-memory log at every start). Chapter 06 passes its WAL.
func WithStorage(open StorageOpener) ServerOption {
	return func(o *serverOptions) { o.storage = open }
}

// WithLinearizableReadNotify makes every read that is not serializable (a Range, a read-only Txn)
// wait for f before it reads the local store, and fail with f's error. Chapter 04 passes its
// ReadIndex barrier (etcd's linearizableReadNotify). Without it, reads are local and can be stale.
func WithLinearizableReadNotify(f func(ctx context.Context) error) ServerOption {
	return func(o *serverOptions) { o.readNotify = f }
}
