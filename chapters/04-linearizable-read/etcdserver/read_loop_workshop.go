//go:build workshop_04 || workshop_readloop

//etcdwalk:exercise name=ReadLoop tag=workshop_readloop tests=^Test(Cluster|ReadLoop)

package etcdserver

import (
	"errors"
)

// linearizableReadLoop serves linearizable reads in rounds. Workshop exercise "ReadLoop": make
// `go test -tags workshop_readloop ./etcdserver/` pass. The reference answer is read_loop.go;
// etcd's is linearizableReadLoop and requestCurrentIndex in server/etcdserver/v3_server.go.
//
// TODO, for each round, until s.r.StopNotify() is closed:
//  1. Take a request ID (s.reqIDGen.Next()) and the leader-change signal
//     (s.r.LeaderChangedNotify()) now, before waiting: a change during the round must be seen.
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
//  1. s.sendReadIndex(requestID); return its error if any.
//  2. Start two timers: one for s.reqTimeout (give up: errors.ErrTimeout, from
//     etcdwalk/chapters/02-kvserver/etcdserver/errors), one for readIndexRetryTime (raft drops a
//     ReadIndex it cannot serve without telling anyone: send it again, with the same ID, and
//     reset the timer). Stop both when you return.
//  3. Loop on a select over:
//     - rs := <-s.r.ReadStates(): yours only if rs.RequestCtx equals requestIDBytes(requestID).
//     Any other is the late answer to a round that gave up; its index may be older than your
//     round's writes, so skip it (etcd logs a warning) and keep waiting. Why not match on the
//     index instead?
//     - leaderChanged: errors.ErrLeaderChanged.
//     - s.r.FirstCommitInTermNotify(): a new leader serves ReadIndex only once it has committed
//     an entry in its term; send again now, and take the notifier afresh.
//     - the two timers, and s.r.StopNotify() (errors.ErrStopped).
func (s *EtcdServer) requestCurrentIndex(leaderChanged <-chan struct{}, requestID uint64) (uint64, error) {
	return 0, errors.New("workshop: requestCurrentIndex is not written yet")
}
