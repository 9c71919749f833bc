package proc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

const (
	// probeInterval is the pause between two rounds of readiness probes.
	probeInterval = 100 * time.Millisecond
	// probeTimeout bounds one request of a probe: a member without a leader holds a
	// linearizable Get until it has one, and the probe should rather try again.
	probeTimeout = time.Second
)

// probeKey is the key readiness reads. Readiness writes nothing, so a fresh server is still at
// revision 1 when it is declared ready, like a fresh etcd.
const probeKey = "etcdwalk-interop-ready-probe"

// WaitReady polls endpoints until a clientv3 Get succeeds on every one and, if leader is set,
// every one names in a Maintenance Status the same leader: a write through any of them can then
// be forwarded to it. It gives up, with an error that says what the last probe saw, when ctx
// ends (its cause, if any, leads the message: "not ready within 30s") or when one of watch is no
// longer running.
func WaitReady(ctx context.Context, endpoints []string, leader bool, watch ...*Process) error {
	clients := make([]*clientv3.Client, 0, len(endpoints))
	defer func() {
		for _, cli := range clients {
			cli.Close()
		}
	}()
	for _, ep := range endpoints {
		cli, err := newProbeClient(ep)
		if err != nil {
			return err
		}
		clients = append(clients, cli)
	}
	// A probe of a server that is not listening yet waits out its timeout (clientv3 retries a
	// refused connection), so an exit must cut it short, or a failed start would take a second
	// longer to report.
	ctx, cancel := context.WithCancel(ctx)
	var watchers sync.WaitGroup
	defer watchers.Wait()
	defer cancel()
	for _, p := range watch {
		exited := p.exited()
		watchers.Go(func() {
			select {
			case <-exited:
				cancel()
			case <-ctx.Done():
			}
		})
	}
	ticker := time.NewTicker(probeInterval)
	defer ticker.Stop()
	for {
		err := probe(ctx, clients, endpoints, leader)
		if err == nil {
			return nil
		}
		for _, p := range watch {
			if down := p.Check(); down != nil {
				return fmt.Errorf("%w, before it was ready (the last probe said: %v)", down, err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; the last probe said: %v", context.Cause(ctx), err)
		case <-ticker.C:
		}
	}
}

// probe is one round of readiness checks, clients[i] talking to endpoints[i].
func probe(ctx context.Context, clients []*clientv3.Client, endpoints []string, leader bool) error {
	var first uint64
	for i, cli := range clients {
		err := func() error {
			ctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			if _, err := cli.Get(ctx, probeKey); err != nil {
				return err
			}
			if !leader {
				return nil
			}
			st, err := cli.Status(ctx, endpoints[i])
			switch {
			case err != nil:
				return err
			case st.Leader == 0:
				return errors.New("knows no leader yet")
			case i > 0 && st.Leader != first:
				return fmt.Errorf("names leader %x, but %s names %x", st.Leader, endpoints[0], first)
			}
			first = st.Leader
			return nil
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", endpoints[i], err)
		}
	}
	return nil
}

// status asks endpoint for its Maintenance Status, within probeTimeout.
func status(ctx context.Context, endpoint string) (*clientv3.StatusResponse, error) {
	cli, err := newProbeClient(endpoint)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return cli.Status(ctx, endpoint)
}

// newProbeClient is a clientv3 client of endpoint alone. clientv3.New does not block on the
// connection: it fails only on a malformed config.
func newProbeClient(endpoint string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		DialTimeout: 2 * time.Second,
		Logger:      zap.NewNop(),
	})
}
