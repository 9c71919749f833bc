package etcdserver

import (
	"sync/atomic"
	"time"

	"etcdwalk/chapters/03-propose-wait/transport"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// toApply is one batch of committed entries for the apply loop (etcd's toApply).
type toApply struct {
	entries []raftpb.Entry
}

// raftNode runs raft for EtcdServer, as etcd's raftNode (server/etcdserver/raft.go): it ticks the
// clock, and for every Ready it hands the committed entries to the apply loop, persists the new
// entries and hard state, sends the messages, and calls Advance.
//
// Persisting means raft.MemoryStorage here: the log lives in memory until chapter 06 brings the WAL.
type raftNode struct {
	raft.Node
	storage   *raft.MemoryStorage
	transport transport.Transporter
	tick      time.Duration

	applyc chan toApply
	// readStateC carries ReadStates (answers to ReadIndex) to whoever reads them; chapter 04's
	// linearizable read loop does. Only the newest is kept if nobody is reading.
	readStateC chan raft.ReadState

	lead atomic.Uint64
	term atomic.Uint64

	stopped chan struct{}
	done    chan struct{}
}

// readyHandler is how raftNode tells EtcdServer about leadership and commits (etcd's
// raftReadyHandler).
type readyHandler struct {
	// updateLeadership is told, when this member is leader, whether it has just become so.
	updateLeadership     func(newLeader bool)
	updateCommittedIndex func(index uint64)
}

func newRaftNode(n raft.Node, st *raft.MemoryStorage, tr transport.Transporter, tick time.Duration) *raftNode {
	return &raftNode{
		Node: n, storage: st, transport: tr, tick: tick,
		// Buffered, so that raft keeps replicating while the apply loop applies and syncs the
		// previous batches (etcd gets the same from its FIFO scheduler of apply jobs).
		applyc:     make(chan toApply, 128),
		readStateC: make(chan raft.ReadState, 1),
		stopped:    make(chan struct{}),
		done:       make(chan struct{}),
	}
}

func (r *raftNode) start(rh readyHandler) {
	go func() {
		defer close(r.done)
		ticker := time.NewTicker(r.tick)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				r.Tick()
			case rd := <-r.Ready():
				if rd.SoftState != nil {
					lead := rd.SoftState.Lead
					newLeader := lead != raft.None && r.lead.Load() != lead
					r.lead.Store(lead)
					if rd.RaftState == raft.StateLeader {
						rh.updateLeadership(newLeader)
					}
				}
				if !raft.IsEmptyHardState(rd.HardState) {
					r.term.Store(rd.HardState.Term)
				}
				if len(rd.ReadStates) != 0 {
					select {
					case r.readStateC <- rd.ReadStates[len(rd.ReadStates)-1]:
					default: // an older one is still unread: replace it
						select {
						case <-r.readStateC:
						default:
						}
						r.readStateC <- rd.ReadStates[len(rd.ReadStates)-1]
					}
				}
				if n := len(rd.CommittedEntries); n > 0 {
					rh.updateCommittedIndex(rd.CommittedEntries[n-1].Index)
					select {
					case r.applyc <- toApply{entries: rd.CommittedEntries}:
					case <-r.stopped:
						return
					}
				}
				// Persist before sending: a vote or an append acknowledged to a peer must survive.
				if !raft.IsEmptySnap(rd.Snapshot) {
					_ = r.storage.ApplySnapshot(rd.Snapshot)
				}
				if !raft.IsEmptyHardState(rd.HardState) {
					_ = r.storage.SetHardState(rd.HardState)
				}
				_ = r.storage.Append(rd.Entries)
				r.transport.Send(rd.Messages)
				r.Advance()
			case <-r.stopped:
				return
			}
		}
	}()
}

func (r *raftNode) stop() {
	close(r.stopped)
	<-r.done
	r.Stop()
}
