//go:build workshop_04 || workshop_readloop

//etcdwalk:exercise name=ReadLoop tag=workshop_readloop tests=^Test(Cluster|ReadLoop) skip=^TestCluster(SerializableReadsAreNotLinearizable|NoLeaderRefusesRequireLeaderReads)$

package etcdserver

import (
	"errors"
)

// linearizableReadLoop serves linearizable reads in rounds. Workshop exercise "ReadLoop": make
// `go test -tags workshop_readloop ./etcdserver/` pass. The reference answer is read_loop.go;
// etcd's is linearizableReadLoop and requestCurrentIndex in server/etcdserver/v3_server.go.
//
// TODO, for each round, until s.r.StopNotify() is closed:
//  1. Take the leader-change signal (s.r.LeaderChangedNotify()) now, before waiting: a change
//     during the round must be seen.
//  2. Wait for a token on s.readwaitc (or a leader change: start over; or the stop: return).
//  3. Swap in a fresh notifier (newNotifier()) under s.readMu, keeping the old one: the reads
//     that joined it are this round's. Why must this happen before asking raft, not after? Think
//     of a read that arrives after the leader has already answered this round. s.rounds.Add(1).
//  4. confirmedIndex, err := s.requestCurrentIndex(...). If isStopped(err), return; on another
//     error, end the round with it (nr.notify(err)) and go on to the next.
//  5. Set nr.readIndex (for --trace), and if s.r.AppliedIndex() is below confirmedIndex, wait
//     for s.r.ApplyWait(confirmedIndex) (or the stop). Only then nr.notify(nil).
func (s *EtcdServer) linearizableReadLoop() {
	<-s.r.StopNotify()
}

// requestCurrentIndex asks raft for the read index and waits for its answer.
//
// TODO:
//  1. Send a ReadIndex: take an ID (s.reqIDGen.Next()), remember it among this round's, and
//     s.sendReadIndex(id); return its error if any. Every send below does the same, with a new
//     ID each time (etcd does so since v3.6.9: resending one ID let a paused member take a stale
//     confirmation, etcd-io/etcd#20418).
//  2. Start two timers: one for s.reqTimeout (give up: errors.ErrTimeout, from
//     etcdwalk/chapters/02-kvserver/etcdserver/errors), one for readIndexRetryTime (raft drops a
//     ReadIndex it cannot serve without telling anyone: send again, and reset the timer). Stop
//     both when you return.
//  3. Loop on a select over:
//     - rs := <-s.r.ReadStates(): first look again, without blocking, whether the leader
//     changed (select picks at random when both are ready, and this index may come from the
//     old leader). Then it is yours only if its RequestCtx (8 bytes, big-endian) is the ID of
//     one of this round's sends. Any other is the late answer to an earlier round; its index
//     may be older than your round's reads, so skip it and keep waiting. Why not match on the
//     index instead?
//     - leaderChanged: errors.ErrLeaderChanged.
//     - s.r.FirstCommitInTermNotify(): a new leader serves ReadIndex only once it has committed
//     an entry in its term; send again now, and take the notifier afresh.
//     - the two timers, and s.r.StopNotify() (errors.ErrStopped).
func (s *EtcdServer) requestCurrentIndex(leaderChanged <-chan struct{}) (uint64, error) {
	return 0, errors.New("workshop: requestCurrentIndex is not written yet")
}
