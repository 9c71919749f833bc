//go:build workshop_03 || workshop_proposewait

//etcdwalk:exercise name=ProposeWait tag=workshop_proposewait tests=^Test(Cluster|Transcript)

package etcdserver

import (
	"context"
	"errors"

	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"
)

// processInternalRaftRequestOnce proposes r through raft and waits for the apply loop's result.
// Workshop exercise "ProposeWait": make `go test -tags workshop_proposewait -run TestCluster
// ./etcdserver/` pass (with -tags workshop_03, ApplyTrigger and WaitRegistry too). The reference
// answer is propose.go; etcd's is processInternalRaftRequestOnce in server/etcdserver/v3_server.go,
// which the seed quotes.
//
// TODO, in this order (each step is one to four lines):
//  1. If s.CommittedIndex() is more than maxGapBetweenApplyAndCommitIndex ahead of
//     s.AppliedIndex(), return errors.ErrTooManyRequests (package
//     etcdwalk/chapters/02-kvserver/etcdserver/errors): the apply loop is drowning.
//  2. Stamp the request: r.Header = &irpb.RequestHeader{ID: s.reqIDGen.Next()}.
//  3. Marshal r (proto.Marshal). If it is longer than s.Cfg.MaxRequestBytes, return
//     errors.ErrRequestTooLarge.
//  4. ch := s.w.Register(id): from now on the apply loop can hand you the result.
//  5. cctx, cancel := context.WithTimeout(ctx, s.Cfg.ReqTimeout()); defer cancel(); remember
//     start := time.Now().
//  6. s.r.Propose(cctx, data). On error: s.w.Trigger(id, nil) (nobody else will, and the
//     registration must not leak), and return the error as it is.
//  7. select on: the result from ch (return x.(*applyResult)); cctx.Done() (trigger id with nil,
//     return s.parseProposeCtxErr(cctx.Err(), start)); s.done (return errors.ErrStopped).
//
// With --trace, traceutil.Get(ctx).Step("...") after proposing shows the wait in the log.
func (s *EtcdServer) processInternalRaftRequestOnce(ctx context.Context, r *irpb.InternalRaftRequest) (*applyResult, error) {
	return nil, errors.New("workshop: processInternalRaftRequestOnce is not written yet")
}
