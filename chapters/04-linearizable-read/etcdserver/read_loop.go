//go:build !(workshop_04 || workshop_readloop)

package etcdserver

import (
	"encoding/binary"
	"time"

	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"
)

// linearizableReadLoop serves linearizable reads in rounds (etcd's linearizableReadLoop in
// v3_server.go). A round begins when a read wakes the loop. The loop first swaps in a fresh
// notifier, so that reads arriving from now on wait for the next round: the index this round
// obtains may predate them. Then it asks raft for the current read index, waits until this member
// has applied up to it, and releases every read of the round at once. Workshop exercise "ReadLoop".
func (s *EtcdServer) linearizableReadLoop() {
	for {
		// Taken before the round, so that a leader change during it is noticed.
		leaderChanged := s.r.LeaderChangedNotify()
		select {
		case <-leaderChanged:
			continue
		case <-s.readwaitc:
		case <-s.r.StopNotify():
			return
		}

		next := newNotifier()
		s.readMu.Lock()
		nr := s.readNotifier
		s.readNotifier = next
		s.readMu.Unlock()
		s.rounds.Add(1)

		confirmedIndex, err := s.requestCurrentIndex(leaderChanged)
		if isStopped(err) {
			return
		}
		if err != nil {
			nr.notify(err)
			continue
		}
		nr.readIndex = confirmedIndex
		// The leader had committed confirmedIndex when a quorum confirmed it still led: once
		// this member has applied that far, its store holds every write acknowledged before the
		// round began.
		if s.r.AppliedIndex() < confirmedIndex {
			select {
			case <-s.r.ApplyWait(confirmedIndex):
			case <-s.r.StopNotify():
				return
			}
		}
		nr.notify(nil)
	}
}

// requestCurrentIndex sends a ReadIndex tagged with a fresh request ID and waits for the
// ReadState that answers it (etcd's requestCurrentIndex). raft drops a ReadIndex it cannot serve
// without a word, so the request is sent again every readIndexRetryTime, and right away when a new
// leader commits its first entry (a leader serves ReadIndex only from then on); every send has an
// ID of its own, and an answer to any of them will do, since each was sent after the round began.
// A ReadState with an ID of no send of this round answers a round that gave up earlier: its index
// may be older than this round's reads, so it is skipped. The round fails with ErrLeaderChanged
// if the leader changes, even when a ReadState has come at the same moment, and with ErrTimeout
// after the request timeout.
func (s *EtcdServer) requestCurrentIndex(leaderChanged <-chan struct{}) (uint64, error) {
	sent := map[uint64]bool{}
	send := func() error {
		id := s.reqIDGen.Next()
		sent[id] = true
		return s.sendReadIndex(id)
	}
	if err := send(); err != nil {
		return 0, err
	}
	errorTimer := time.NewTimer(s.reqTimeout)
	defer errorTimer.Stop()
	retryTimer := time.NewTimer(readIndexRetryTime)
	defer retryTimer.Stop()
	firstCommitInTerm := s.r.FirstCommitInTermNotify()

	for {
		select {
		case rs := <-s.r.ReadStates():
			// When both are ready, select picks either: a leader change must win, for the read
			// index may come from the leader that is gone.
			select {
			case <-leaderChanged:
				return 0, etcderr.ErrLeaderChanged
			default:
			}
			var id uint64
			if len(rs.RequestCtx) == 8 {
				id = binary.BigEndian.Uint64(rs.RequestCtx)
			}
			if sent[id] {
				return rs.Index, nil
			}
			s.lg.Warn("ignored out-of-date read index response; local node read indexes queueing up and waiting to be in sync with leader",
				"received-request-id", id)
		case <-leaderChanged:
			return 0, etcderr.ErrLeaderChanged
		case <-firstCommitInTerm:
			firstCommitInTerm = s.r.FirstCommitInTermNotify()
			s.lg.Info("first commit in current term: resending ReadIndex request")
			if err := send(); err != nil {
				return 0, err
			}
			retryTimer.Reset(readIndexRetryTime)
		case <-retryTimer.C:
			s.lg.Warn("waiting for ReadIndex response took too long, retrying", "retry-timeout", readIndexRetryTime)
			if err := send(); err != nil {
				return 0, err
			}
			retryTimer.Reset(readIndexRetryTime)
		case <-errorTimer.C:
			s.lg.Warn("timed out waiting for read index response (local node might have slow network)",
				"timeout", s.reqTimeout)
			return 0, etcderr.ErrTimeout
		case <-s.r.StopNotify():
			return 0, etcderr.ErrStopped
		}
	}
}
