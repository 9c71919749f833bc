package etcdserver

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"etcdwalk/chapters/03-propose-wait/transport"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// internalTimeout bounds how long the Ready loop waits to hand over a ReadState (etcd's
// internalTimeout in raft.go).
const internalTimeout = time.Second

// toApply is what one Ready gives the apply loop (etcd's toApply): committed entries, and a
// snapshot received from the leader, if any. notifyc is closed once the Ready loop has saved that
// Ready and appended its entries to raft's log; the apply loop waits for it before it applies a
// snapshot or takes one.
type toApply struct {
	entries  []raftpb.Entry
	snapshot raftpb.Snapshot
	notifyc  chan struct{}
}

// raftNodeConfig is what raftNode is built from (etcd's raftNodeConfig): raft itself, raft's
// working log, the storage that makes it durable, and the transport to the peers. Chapter 06
// passes a WAL as storage and a network transport; the Ready loop stays as it is.
type raftNodeConfig struct {
	lg *slog.Logger
	raft.Node
	raftStorage *raft.MemoryStorage
	storage     Storage
	heartbeat   time.Duration // one raft tick
	transport   transport.Transporter
}

// raftNode runs raft for EtcdServer, as etcd's raftNode (server/etcdserver/raft.go): it ticks the
// clock, and for every Ready it hands the committed entries to the apply loop, saves the hard
// state and new entries, sends the messages, and calls Advance.
type raftNode struct {
	raftNodeConfig

	applyc chan toApply
	// readStateC carries the newest ReadState of each Ready to whoever asked raft for a read
	// index (chapter 04's read loop); etcd's raftNode.readStateC, with its one-slot buffer.
	readStateC chan raft.ReadState
	// errorc carries the storage error that ends the member: etcd exits the process there.
	errorc chan error
	// msgSnapC carries the MsgSnap raft wants sent to the apply loop, which attaches the backend's
	// db (etcd's raftNode.msgSnapC, one slot: a second snapshot while one waits is dropped). nil
	// without snapshots, and then every message goes to the transport as it is.
	msgSnapC chan raftpb.Message

	lead atomic.Uint64
	term atomic.Uint64
	// isLead is whether this member led at the last soft state; only the raft goroutine uses it.
	isLead bool

	stopped chan struct{}
	done    chan struct{}
}

// readyHandler is how raftNode tells EtcdServer about leadership and commits (etcd's
// raftReadyHandler).
type readyHandler struct {
	// updateLeadership runs on every member whenever raft's soft state changes; newLeader says
	// that a leader other than the previous one is now known.
	updateLeadership     func(newLeader bool)
	updateCommittedIndex func(index uint64)
}

func newRaftNode(cfg raftNodeConfig) *raftNode {
	return &raftNode{
		raftNodeConfig: cfg,
		// Buffered, so that raft keeps replicating while the apply loop applies and syncs the
		// previous batches (etcd gets the same from its FIFO scheduler of apply jobs).
		applyc:     make(chan toApply, 128),
		readStateC: make(chan raft.ReadState, 1),
		errorc:     make(chan error, 1),
		stopped:    make(chan struct{}),
		done:       make(chan struct{}),
	}
}

func (r *raftNode) start(rh readyHandler) {
	go func() {
		defer close(r.done)
		ticker := time.NewTicker(r.heartbeat)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				r.Tick()
			case rd := <-r.Ready():
				if err := r.handleReady(rd, rh); err != nil {
					r.lg.Error("raft storage failed; the member stops", "error", err)
					r.errorc <- err
					return
				}
			case <-r.stopped:
				return
			}
		}
	}()
}

// handleReady does what etcd's raftNode.start does with one Ready. A follower persists before
// it sends: a vote or an append it acknowledges must survive a crash. A leader sends first, so
// that its followers write the entries to their disks while it writes them to its own (section
// 10.2.1 of the raft thesis, and etcd's `if islead` in raftNode.start): what it sends is an
// append, not an acknowledgment, and raft counts the leader's own copy only once it is saved.
func (r *raftNode) handleReady(rd raft.Ready, rh readyHandler) error {
	if rd.SoftState != nil {
		r.isLead = rd.SoftState.RaftState == raft.StateLeader
		lead := rd.SoftState.Lead
		newLeader := lead != raft.None && r.lead.Load() != lead
		r.lead.Store(lead)
		rh.updateLeadership(newLeader)
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		r.term.Store(rd.HardState.Term)
	}
	if n := len(rd.ReadStates); n > 0 {
		// Only the newest is passed on, as etcd does: the read loop has one request in flight,
		// and older states answer requests it gave up on. A reader that is not there to take it
		// must not stall raft for long.
		select {
		case r.readStateC <- rd.ReadStates[n-1]:
		case <-time.After(internalTimeout):
			r.lg.Warn("timed out sending read state", "timeout", internalTimeout)
		case <-r.stopped:
			return nil
		}
	}
	var notifyc chan struct{}
	if n := len(rd.CommittedEntries); n > 0 || !raft.IsEmptySnap(rd.Snapshot) {
		if n > 0 {
			rh.updateCommittedIndex(rd.CommittedEntries[n-1].Index)
		}
		notifyc = make(chan struct{})
		select {
		case r.applyc <- toApply{entries: rd.CommittedEntries, snapshot: rd.Snapshot, notifyc: notifyc}:
		case <-r.stopped:
			return nil
		}
	}
	if r.isLead {
		r.transport.Send(r.processMessages(rd.Messages))
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := r.storage.SaveSnap(rd.Snapshot); err != nil {
			return fmt.Errorf("save snapshot: %w", err)
		}
	}
	if err := r.storage.Save(rd.HardState, rd.Entries); err != nil {
		return fmt.Errorf("save raft hard state and entries: %w", err)
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := r.storage.Sync(); err != nil {
			return fmt.Errorf("sync raft storage: %w", err)
		}
		if err := r.raftStorage.ApplySnapshot(rd.Snapshot); err != nil {
			return fmt.Errorf("apply snapshot to raft's log: %w", err)
		}
		if err := r.storage.Release(rd.Snapshot); err != nil {
			return fmt.Errorf("release raft storage: %w", err)
		}
	}
	if err := r.raftStorage.Append(rd.Entries); err != nil {
		return fmt.Errorf("append to raft's log: %w", err)
	}
	if notifyc != nil {
		close(notifyc)
	}
	if !r.isLead {
		r.transport.Send(r.processMessages(rd.Messages))
	}
	r.Advance()
	return nil
}

// processMessages takes the MsgSnap out of msgs for the apply loop (etcd's
// raftNode.processMessages): a snapshot goes with the backend's db, which only the apply loop can
// take consistently.
func (r *raftNode) processMessages(msgs []raftpb.Message) []raftpb.Message {
	if r.msgSnapC == nil {
		return msgs
	}
	out := msgs[:0:0]
	for _, m := range msgs {
		if m.Type != raftpb.MsgSnap {
			out = append(out, m)
			continue
		}
		select {
		case r.msgSnapC <- m:
		default:
			// One is on its way already; raft asks again once it hears this one failed.
			r.ReportSnapshot(m.To, raft.SnapshotFailure)
		}
	}
	return out
}

// stop ends the Ready loop, then raft, then the transport (etcd's raftNode.stop).
func (r *raftNode) stop() {
	select {
	case <-r.stopped:
	default:
		close(r.stopped)
	}
	<-r.done
	r.Stop()
	r.transport.Stop()
}
