package clientv3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/05-client/client/v3/internal/resolver"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

var (
	ErrNoAvailableEndpoints = errors.New("etcdclient: no available endpoints")
	ErrOldCluster           = errors.New("etcdclient: old cluster version")
)

// Client is a connection to an etcd cluster, balanced over its endpoints (etcd's
// clientv3.Client). Its KV, Cluster and Maintenance share one gRPC connection; it is safe for
// concurrent use. Close it when done.
type Client struct {
	Cluster
	KV
	Maintenance

	conn     *grpc.ClientConn
	cfg      Config
	resolver *resolver.EtcdManualResolver

	epMu      sync.RWMutex
	endpoints []string

	ctx    context.Context
	cancel context.CancelFunc

	callOpts []grpc.CallOption
	lg       *slog.Logger

	syncDone chan struct{} // closed when autoSync has returned
}

// New connects to the cluster cfg names. It does not wait for a connection unless
// cfg.DialOptions asks for it: calls wait for one instead (WaitForReady).
func New(cfg Config) (*Client, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, ErrNoAvailableEndpoints
	}
	return newClient(&cfg)
}

// newClient follows etcd's: the resolver, the balanced connection, the API clients on it, the
// version check, and autoSync in the background.
func newClient(cfg *Config) (*Client, error) {
	baseCtx := context.Background()
	if cfg.Context != nil {
		baseCtx = cfg.Context
	}
	ctx, cancel := context.WithCancel(baseCtx)
	c := &Client{cfg: *cfg, ctx: ctx, cancel: cancel, callOpts: defaultCallOpts, lg: cfg.Logger,
		syncDone: make(chan struct{})}
	if c.lg == nil {
		c.lg = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).
			With("logger", "etcd-client")
	}
	if cfg.MaxCallSendMsgSize > 0 || cfg.MaxCallRecvMsgSize > 0 {
		if cfg.MaxCallRecvMsgSize > 0 && cfg.MaxCallSendMsgSize > cfg.MaxCallRecvMsgSize {
			cancel()
			return nil, fmt.Errorf("gRPC message recv limit (%d bytes) must be greater than send limit (%d bytes)",
				cfg.MaxCallRecvMsgSize, cfg.MaxCallSendMsgSize)
		}
		c.callOpts = []grpc.CallOption{defaultWaitForReady, defaultMaxCallSendMsgSize, defaultMaxCallRecvMsgSize}
		if cfg.MaxCallSendMsgSize > 0 {
			c.callOpts[1] = grpc.MaxCallSendMsgSize(cfg.MaxCallSendMsgSize)
		}
		if cfg.MaxCallRecvMsgSize > 0 {
			c.callOpts[2] = grpc.MaxCallRecvMsgSize(cfg.MaxCallRecvMsgSize)
		}
	}

	c.resolver = resolver.New(cfg.Endpoints...)
	c.SetEndpoints(cfg.Endpoints...)
	conn, err := c.dial(grpc.WithResolvers(c.resolver))
	if err != nil {
		cancel()
		return nil, err
	}
	c.conn = conn

	c.Cluster = NewCluster(c)
	c.KV = NewKV(c)
	c.Maintenance = NewMaintenance(c)

	if cfg.RejectOldCluster {
		if err := c.checkVersion(); err != nil {
			close(c.syncDone) // autoSync never started: Close must not wait for it
			c.Close()
			return nil, err
		}
	}
	go c.autoSync()
	return c, nil
}

// Close ends every call of the client and closes its connection.
func (c *Client) Close() error {
	c.cancel()
	<-c.syncDone
	if c.conn != nil {
		return ContextError(c.ctx, c.conn.Close())
	}
	return c.ctx.Err()
}

// Ctx is the client's context: done once the client is closed.
func (c *Client) Ctx() context.Context { return c.ctx }

// ActiveConnection is the client's gRPC connection, for clients of other services.
func (c *Client) ActiveConnection() *grpc.ClientConn { return c.conn }

// Endpoints are the endpoints the client balances over now.
func (c *Client) Endpoints() []string {
	c.epMu.RLock()
	defer c.epMu.RUnlock()
	return append([]string(nil), c.endpoints...)
}

// SetEndpoints replaces the endpoints; the connection moves to the new ones without failing a
// call.
func (c *Client) SetEndpoints(eps ...string) {
	c.epMu.Lock()
	defer c.epMu.Unlock()
	c.endpoints = eps
	c.resolver.SetEndpoints(eps)
}

// Sync replaces the endpoints with the client URLs of the cluster's voting members, as its
// MemberList gives them (a member added but not started has no name yet, and is skipped).
func (c *Client) Sync(ctx context.Context) error {
	resp, err := c.MemberList(ctx)
	if err != nil {
		return err
	}
	var eps []string
	for _, m := range resp.Members {
		if m.Name != "" && !m.IsLearner {
			eps = append(eps, m.ClientURLs...)
		}
	}
	if len(eps) == 0 {
		return errors.New("etcdclient: the cluster listed no member with client URLs")
	}
	c.SetEndpoints(eps...)
	c.lg.Debug("set etcd endpoints by autoSync", "endpoints", eps)
	return nil
}

// autoSync runs Sync every AutoSyncInterval until the client is closed.
func (c *Client) autoSync() {
	defer close(c.syncDone)
	if c.cfg.AutoSyncInterval == 0 {
		return
	}
	ticker := time.NewTicker(c.cfg.AutoSyncInterval)
	defer ticker.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-ticker.C:
			ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
			err := c.Sync(ctx)
			cancel()
			if err != nil && !errors.Is(err, c.ctx.Err()) {
				c.lg.Info("Auto sync endpoints failed.", "error", err)
			}
		}
	}
}

// Dial opens a connection of its own to one endpoint (Maintenance's per-member calls use one).
func (c *Client) Dial(ep string) (*grpc.ClientConn, error) {
	return c.dial(grpc.WithResolvers(resolver.New(ep)))
}

// dial opens a connection through the resolver among dopts, with the client's interceptors.
func (c *Client) dial(dopts ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts := c.dialSetupOpts(dopts...)
	opts = append(opts, c.cfg.DialOptions...)
	target := fmt.Sprintf("%s://%p/%s", resolver.Schema, c, authority(c.Endpoints()[0]))
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// dialSetupOpts are the dial options of every connection: keepalive, plain-text transport, and
// the retry interceptor with its backoff.
func (c *Client) dialSetupOpts(dopts ...grpc.DialOption) []grpc.DialOption {
	var opts []grpc.DialOption
	if c.cfg.DialKeepAliveTime > 0 {
		opts = append(opts, grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                c.cfg.DialKeepAliveTime,
			Timeout:             c.cfg.DialKeepAliveTimeout,
			PermitWithoutStream: c.cfg.PermitWithoutStream,
		}))
	}
	opts = append(opts, dopts...)
	opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))

	maxRetries := defaultUnaryMaxRetries
	if c.cfg.MaxUnaryRetries > 0 {
		maxRetries = c.cfg.MaxUnaryRetries
	}
	waitBetween := defaultBackoffWaitBetween
	if c.cfg.BackoffWaitBetween > 0 {
		waitBetween = c.cfg.BackoffWaitBetween
	}
	jitter := defaultBackoffJitterFraction
	if c.cfg.BackoffJitterFraction > 0 {
		jitter = c.cfg.BackoffJitterFraction
	}
	backoff := withBackoff(c.roundRobinQuorumBackoff(waitBetween, jitter))
	return append(opts, grpc.WithUnaryInterceptor(c.unaryClientInterceptor(withMax(maxRetries), backoff)))
}

// authority is the host part of an endpoint, for the dial target.
func authority(endpoint string) string {
	if _, rest, ok := strings.Cut(endpoint, "://"); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(endpoint, "unix:"); ok {
		return rest
	}
	return endpoint
}

// checkVersion asks every endpoint for its version and fails with ErrOldCluster if one runs a
// minor version older than the one before this client's (etcd's checkVersion; a 3.6 client
// accepts 3.5 and later).
func (c *Client) checkVersion() error {
	ctx, cancel := context.WithCancel(c.ctx)
	if c.cfg.DialTimeout > 0 {
		cancel()
		ctx, cancel = context.WithTimeout(c.ctx, c.cfg.DialTimeout)
	}
	defer cancel()
	eps := c.Endpoints()
	errc := make(chan error, len(eps))
	for _, ep := range eps {
		go func() {
			resp, err := c.Status(ctx, ep)
			if err != nil {
				errc <- err
				return
			}
			errc <- checkMinVersion(resp.Version)
		}()
	}
	var first error
	for range eps {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// minSupported is the oldest server version, major and minor, this client works with.
var minSupported = [2]int{3, 5}

func checkMinVersion(v string) error {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return fmt.Errorf("etcdclient: cannot parse the server's version %q", v)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("etcdclient: cannot parse the server's version %q", v)
	}
	if major < minSupported[0] || major == minSupported[0] && minor < minSupported[1] {
		return ErrOldCluster
	}
	return nil
}

// ContextError is the error a call returns: an etcd error as the rpctypes error it stands for,
// and a gRPC Canceled or DeadlineExceeded as the context's own error when the context has ended
// (etcd's ContextError), so that errors.Is(err, context.DeadlineExceeded) works.
func ContextError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	err = rpctypes.Error(err)
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		return err
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.DeadlineExceeded, codes.Canceled:
			if ctx.Err() != nil {
				err = ctx.Err()
			}
		}
	}
	return err
}
