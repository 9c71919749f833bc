package etcdserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/etcdserver/txn"
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// applyResult is what the apply loop hands the waiting proposer (etcd's apply.Result).
type applyResult struct {
	resp  proto.Message
	err   error
	physc <-chan struct{} // a compaction's physical part
	// raiseNoSpace: the quota refused the request at apply time and no NOSPACE alarm was
	// raised; the answer waits until this member's alarm is (etcd's applyEntryNormal).
	raiseNoSpace bool

	// When the entry reached the apply loop, was applied, and was durable: for --trace.
	committedAt, appliedAt, syncedAt time.Time
}

// batchEffects is what applying a batch's entries asks of the apply loop once they are applied.
type batchEffects struct {
	// bucketsChanged: an alarm was raised or cleared, or a member published its attributes: a
	// bucket other than the store's was written, and must be committed too
	bucketsChanged bool
	raiseNoSpace   bool // some entry did not fit the quota and no NOSPACE alarm is raised
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
			if err := s.applyBatches(ap); err != nil {
				if errors.Is(err, errRaftEnded) {
					s.err = <-s.r.errorc
					return
				}
				s.lg.Error("applying committed entries failed; the member stops", "member", s.Cfg.Name, "error", err)
				s.err = err
				return
			}
		case m := <-s.r.msgSnapC: // nil, so never ready, without snapshots
			s.sendSnapshot(m)
		case err := <-s.r.errorc:
			s.err = err
			return
		case <-s.stopping:
			return
		}
	}
}

// applyBatches applies ap, and whatever else raft has committed meanwhile with it: one Sync then
// covers it all. A received snapshot is applied on its own, in its place in the order.
func (s *EtcdServer) applyBatches(ap toApply) error {
	for {
		var next *toApply
	merge:
		for {
			select {
			case n := <-s.r.applyc:
				if !raft.IsEmptySnap(n.snapshot) {
					next = &n
					break merge
				}
				// The later Ready is saved after the earlier one: its notifyc covers both.
				ap.entries, ap.notifyc = append(ap.entries, n.entries...), n.notifyc
			default:
				break merge
			}
		}
		if err := s.applyAll(ap); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		ap = *next
	}
}

// applyAll applies a batch, waits once until the store has it on disk, and only then publishes
// the applied index, triggers applyWait and answers the waiting proposers: nobody hears "done"
// about a write that is not durable, a reader waiting for index i sees every write up to i, and
// one fsync serves the whole batch. A failed Sync is returned: it ends the member.
func (s *EtcdServer) applyAll(ap toApply) error {
	if !raft.IsEmptySnap(ap.snapshot) {
		if err := s.applySnapshot(ap); err != nil {
			return err
		}
	}
	if len(ap.entries) == 0 {
		return nil
	}
	if err := s.applyEntries(ap); err != nil {
		return err
	}
	if s.snapshots == nil {
		return nil
	}
	if !s.waitPersisted(ap) {
		return errRaftEnded
	}
	return s.triggerSnapshot()
}

// applyEntries applies the entries of ap (see applyAll).
func (s *EtcdServer) applyEntries(ap toApply) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	received := time.Now()
	s.batch = batchEffects{}
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
				s.confState = *s.r.ApplyConfChange(cc)
			}
		}
		if !applied {
			s.consistIndex.Store(e.Index)
		}
		s.appliedTerm = e.Term
	}
	// Every member syncs, not only the one with waiters: reads see only durable revisions, so a
	// follower that did not sync would keep serving its old state. An alarm change is no store
	// revision, so the store's Sync would not wait for it: then the whole batch is committed.
	var err error
	switch {
	case s.be.BufferedReads():
		// WithBackendBatching: readers see the entries through the backend's read buffer, and
		// the answer waits for no disk at all, as etcd's does. A committed entry is already in
		// the raft storage of a majority: raft counts a member's own copy, the leader's too,
		// only once its Ready is saved. This member's own save may still be under way.
	case s.batch.bucketsChanged:
		err = s.be.WaitCommit(context.Background())
	default:
		err = s.kv.Sync(context.Background())
	}
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
	var held []pendingTrigger
	for _, t := range triggers {
		t.res.syncedAt = synced
		if t.res.raiseNoSpace {
			held = append(held, t)
			continue
		}
		s.w.Trigger(t.id, t.res)
	}
	if s.batch.raiseNoSpace {
		s.raiseNoSpace(held)
	}
	return nil
}

// raiseNoSpace proposes this member's NOSPACE alarm and, once it is applied (or the member
// stops), answers the requests that did not fit (etcd's applyEntryNormal does this in a
// goroutine of its own, for each such entry). In the background: the apply loop must go on, since
// it is the one that will apply the alarm. Every member whose backend went over the quota raises
// its own alarm this way.
func (s *EtcdServer) raiseNoSpace(held []pendingTrigger) {
	s.lg.Warn("message exceeded backend quota; raising alarm", "member", s.Cfg.Name, "quota-size-bytes", s.Cfg.QuotaBackendBytes)
	s.goAttach(func() {
		a := &pb.AlarmRequest{MemberID: s.id, Action: pb.AlarmRequest_ACTIVATE, Alarm: pb.AlarmType_NOSPACE}
		_, _ = s.raftRequest(s.ctx, &irpb.InternalRaftRequest{Alarm: a})
		for _, t := range held {
			s.w.Trigger(t.id, t.res)
		}
	})
}

// applyV3 applies a request with chapter 02's applier chain (etcd's uberApplier.Apply): with
// NOSPACE raised, puts are refused on every member alike, since every member applies the alarm.
func (s *EtcdServer) applyV3(r *irpb.InternalRaftRequest) *applyResult {
	ctx := context.Background()
	res := &applyResult{}
	switch {
	case r.Put != nil:
		res.resp, res.err = s.applier.Put(ctx, r.Put)
	case r.DeleteRange != nil:
		res.resp, res.err = s.applier.DeleteRange(ctx, r.DeleteRange)
	case r.Txn != nil:
		res.resp, res.err = s.applier.Txn(ctx, r.Txn)
	case r.Compaction != nil:
		res.resp, res.physc, res.err = s.applier.Compaction(ctx, r.Compaction)
	case r.Range != nil:
		res.resp, res.err = txn.Range(ctx, s.kv, r.Range)
	case r.ClusterMemberAttrSet != nil:
		res.resp, res.err = r.ClusterMemberAttrSet, s.applyMemberAttrSet(r.ClusterMemberAttrSet)
	case r.Alarm != nil:
		res.resp, res.err = s.applier.Alarm(r.Alarm)
		if r.Alarm.Action != pb.AlarmRequest_GET {
			s.batch.bucketsChanged = true
		}
	default:
		res.err = fmt.Errorf("etcdserver: entry carries no request")
	}
	if errors.Is(res.err, etcderr.ErrNoSpace) && len(s.alarms.Get(pb.AlarmType_NOSPACE)) == 0 {
		res.raiseNoSpace, s.batch.raiseNoSpace = true, true
	}
	return res
}
