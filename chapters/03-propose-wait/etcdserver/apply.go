package etcdserver

import (
	"context"
	"fmt"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/02-kvserver/etcdserver/txn"
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// applyResult is what the apply loop hands the waiting proposer (etcd's apply.Result).
type applyResult struct {
	resp  proto.Message
	err   error
	physc <-chan struct{} // a compaction's physical part

	// When the entry reached the apply loop, was applied, and was durable: for --trace.
	committedAt, appliedAt, syncedAt time.Time
}

// pendingTrigger is a result to deliver once the batch it belongs to is durable.
type pendingTrigger struct {
	id  uint64
	res *applyResult
}

// run is the apply loop: it applies each batch of committed entries in order, on every member.
// When it ends, for Stop or because storage failed, it shuts the member down.
func (s *EtcdServer) run() {
	defer s.shutdown()
	for {
		select {
		case ap := <-s.r.applyc:
			// Take whatever else raft has committed meanwhile too: one Sync then covers it all.
			for more := true; more; {
				select {
				case next := <-s.r.applyc:
					ap.entries = append(ap.entries, next.entries...)
				default:
					more = false
				}
			}
			if err := s.applyAll(ap); err != nil {
				s.lg.Error("backend commit failed; the member stops", "member", s.Cfg.Name, "error", err)
				s.err = err
				return
			}
		case err := <-s.r.errorc:
			s.err = err
			return
		case <-s.stopping:
			return
		}
	}
}

// applyAll applies a batch, waits once until the store has it on disk, and only then publishes
// the applied index, triggers applyWait and answers the waiting proposers: nobody hears "done"
// about a write that is not durable, a reader waiting for index i sees every write up to i, and
// one fsync serves the whole batch. A failed Sync is returned: it ends the member.
func (s *EtcdServer) applyAll(ap toApply) error {
	if len(ap.entries) == 0 {
		return nil
	}
	received := time.Now()
	var triggers []pendingTrigger
	for i := range ap.entries {
		e := &ap.entries[i]
		applied := e.Index <= s.consistIndex.Load() // the backend has it: an entry is never applied twice
		switch e.Type {
		case raftpb.EntryNormal:
			if len(e.Data) == 0 {
				// etcd notifies this at the top of applyEntryNormal: a new leader's empty entry
				// is committed, so from now on it answers ReadIndex.
				s.firstCommitInTerm.Notify()
			}
			if applied {
				continue
			}
			if t, ok := s.applyEntryNormal(e); ok {
				t.res.committedAt, t.res.appliedAt = received, time.Now()
				triggers = append(triggers, t)
			}
		case raftpb.EntryConfChange:
			// raft rebuilds its configuration from the log at every start, so a replayed conf
			// change is applied to raft again (etcd's applyConfChange does so too).
			var cc raftpb.ConfChange
			if err := cc.Unmarshal(e.Data); err == nil {
				s.r.ApplyConfChange(cc)
			}
		}
		if !applied {
			s.consistIndex.Store(e.Index)
		}
	}
	// Every member syncs, not only the one with waiters: reads see only durable revisions, so a
	// follower that did not sync would keep serving its old state.
	err := s.kv.Sync(context.Background())
	synced := time.Now()
	if err != nil {
		err = fmt.Errorf("etcdserver: backend commit: %w", err)
		for _, t := range triggers {
			s.w.Trigger(t.id, &applyResult{err: err, syncedAt: synced})
		}
		return err
	}
	last := ap.entries[len(ap.entries)-1].Index
	if last > s.appliedIndex.Load() {
		s.appliedIndex.Store(last)
	}
	s.applyWait.Trigger(last)
	for _, t := range triggers {
		t.res.syncedAt = synced
		s.w.Trigger(t.id, t.res)
	}
	return nil
}

// applyV3 applies a request with chapter 02's apply layer (etcd's applierV3backend).
func (s *EtcdServer) applyV3(r *irpb.InternalRaftRequest) *applyResult {
	ctx := context.Background()
	res := &applyResult{}
	switch {
	case r.Put != nil:
		res.resp, res.err = txn.Put(ctx, s.kv, r.Put)
	case r.DeleteRange != nil:
		res.resp, res.err = txn.DeleteRange(ctx, s.kv, r.DeleteRange)
	case r.Txn != nil:
		res.resp, res.err = txn.Txn(ctx, s.kv, r.Txn)
	case r.Compaction != nil:
		res.physc, res.err = s.kv.Compact(ctx, r.Compaction.Revision)
		res.resp = &pb.CompactionResponse{Header: &pb.ResponseHeader{}}
	case r.Range != nil:
		res.resp, res.err = txn.Range(ctx, s.kv, r.Range)
	default:
		res.err = fmt.Errorf("etcdserver: entry carries no request")
	}
	return res
}
