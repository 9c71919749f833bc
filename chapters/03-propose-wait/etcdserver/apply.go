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
func (s *EtcdServer) run() {
	defer close(s.done)
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
			s.applyAll(ap)
		case <-s.stopping:
			return
		}
	}
}

// applyAll applies a batch, waits once until the store has it on disk, then triggers the waiting
// proposers: nobody hears "done" about a write that is not durable, and one fsync serves the whole
// batch.
func (s *EtcdServer) applyAll(ap toApply) {
	received := time.Now()
	var triggers []pendingTrigger
	for i := range ap.entries {
		e := &ap.entries[i]
		if e.Index <= s.consistIndex.Load() {
			continue // applied already: an entry is never applied twice
		}
		switch e.Type {
		case raftpb.EntryNormal:
			if t, ok := s.applyEntryNormal(e); ok {
				t.res.committedAt, t.res.appliedAt = received, time.Now()
				triggers = append(triggers, t)
			}
		case raftpb.EntryConfChange:
			var cc raftpb.ConfChange
			if err := cc.Unmarshal(e.Data); err == nil {
				s.r.ApplyConfChange(cc)
			}
		}
		s.consistIndex.Store(e.Index)
		s.appliedIndex.Store(e.Index)
	}
	// Every member syncs, not only the one with waiters: reads see only durable revisions, so a
	// follower that did not sync would keep serving its old state.
	err := s.kv.Sync(context.Background())
	synced := time.Now()
	for _, t := range triggers {
		if err != nil {
			t.res = &applyResult{err: fmt.Errorf("etcdserver: backend commit: %w", err)}
		}
		t.res.syncedAt = synced
		s.w.Trigger(t.id, t.res)
	}
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
