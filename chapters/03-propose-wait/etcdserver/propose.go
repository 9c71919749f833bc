//go:build !(workshop_03 || workshop_proposewait)

package etcdserver

import (
	"context"
	"time"

	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"

	"google.golang.org/protobuf/proto"
)

// processInternalRaftRequestOnce is the heart of etcd's write path (v3_server.go): refuse if the
// apply loop is too far behind, stamp a request ID, check the size, register the ID, propose, and
// wait until the apply loop triggers the ID with the result. Workshop exercise "ProposeWait".
func (s *EtcdServer) processInternalRaftRequestOnce(ctx context.Context, r *irpb.InternalRaftRequest) (*applyResult, error) {
	trace := traceutil.Get(ctx)
	if s.CommittedIndex() > s.AppliedIndex()+maxGapBetweenApplyAndCommitIndex {
		return nil, errors.ErrTooManyRequests
	}
	r.Header = &irpb.RequestHeader{ID: s.reqIDGen.Next()}
	data, err := proto.Marshal(r)
	if err != nil {
		return nil, err
	}
	if len(data) > int(s.Cfg.MaxRequestBytes) {
		return nil, errors.ErrRequestTooLarge
	}

	id := r.Header.ID
	ch := s.w.Register(id)
	cctx, cancel := context.WithTimeout(ctx, s.Cfg.ReqTimeout())
	defer cancel()

	start := time.Now()
	if err := s.r.Propose(cctx, data); err != nil {
		s.w.Trigger(id, nil) // nobody will trigger it now: forget the registration
		return nil, err      // as etcd: raft's own error, or the context's
	}
	trace.Step("propose the request to raft")

	select {
	case x := <-ch:
		res := x.(*applyResult)
		trace.StepAt(res.committedAt, "committed: raft handed the entry to the apply loop")
		trace.StepAt(res.appliedAt, "applied to the store")
		trace.StepAt(res.syncedAt, "synced the batch to disk")
		trace.Step("triggered: the wait delivered the result")
		return res, nil
	case <-cctx.Done():
		s.w.Trigger(id, nil)
		return nil, s.parseProposeCtxErr(cctx.Err(), start)
	case <-s.done:
		return nil, errors.ErrStopped
	}
}
