//go:build !(workshop_04 || workshop_readnotify)

package etcdserver

import (
	"context"

	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"
)

// linearizableReadNotify is the barrier every linearizable Range and read-only Txn passes before
// it reads the local store (etcd's linearizableReadNotify): it joins the read loop's current round,
// wakes the loop if nobody has yet, and waits for the round to end. Workshop exercise "ReadNotify".
func (s *EtcdServer) linearizableReadNotify(ctx context.Context) error {
	// The round to join must be taken before waking the loop: the loop swaps it out as it
	// starts, and a read that took the next one would wait for a round nobody asked for.
	s.readMu.RLock()
	nc := s.readNotifier
	s.readMu.RUnlock()
	nc.reads.Add(1)

	// One token is enough to start the round; if one is there already, the loop will come.
	select {
	case s.readwaitc <- struct{}{}:
	default:
	}

	select {
	case <-nc.c:
		traceutil.Get(ctx).AddField(
			traceutil.Field{Key: "read_index", Value: nc.readIndex},
			traceutil.Field{Key: "reads_in_round", Value: nc.reads.Load()})
		return nc.err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.r.StopNotify():
		return etcderr.ErrStopped
	}
}
