//go:build !(workshop_04 || workshop_readloop)

package etcdserver

import (
	"bytes"
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
		requestID := s.reqIDGen.Next()
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

		confirmedIndex, err := s.requestCurrentIndex(leaderChanged, requestID)
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

// requestCurrentIndex sends a ReadIndex tagged with requestID and waits for the ReadState that
// answers it (etcd's requestCurrentIndex). A ReadState with another tag answers a round that gave
// up earlier: its index may be older than this round's writes, so it is skipped. raft drops a
// ReadIndex silently when it cannot serve it, so the request is sent again every
// readIndexRetryTime, and right away when a new leader commits its first entry (a leader serves
// ReadIndex only from then on). It fails with ErrLeaderChanged if the leader changes, and with
// ErrTimeout after the request timeout.
func (s *EtcdServer) requestCurrentIndex(leaderChanged <-chan struct{}, requestID uint64) (uint64, error) {
	if err := s.sendReadIndex(requestID); err != nil {
		return 0, err
	}
	errorTimer := time.NewTimer(s.reqTimeout)
	defer errorTimer.Stop()
	retryTimer := time.NewTimer(readIndexRetryTime)
	defer retryTimer.Stop()
	firstCommitInTerm := s.r.FirstCommitInTermNotify()
	want := requestIDBytes(requestID)

	for {
		select {
		case rs := <-s.r.ReadStates():
			if bytes.Equal(rs.RequestCtx, want) {
				return rs.Index, nil
			}
			var got uint64
			if len(rs.RequestCtx) == 8 {
				got = binary.BigEndian.Uint64(rs.RequestCtx)
			}
			s.lg.Warn("ignored out-of-date read index response; local node read indexes queueing up and waiting to be in sync with leader",
				"sent-request-id", requestID, "received-request-id", got)
		case <-leaderChanged:
			return 0, etcderr.ErrLeaderChanged
		case <-firstCommitInTerm:
			firstCommitInTerm = s.r.FirstCommitInTermNotify()
			s.lg.Info("first commit in current term: resending ReadIndex request")
			if err := s.sendReadIndex(requestID); err != nil {
				return 0, err
			}
			retryTimer.Reset(readIndexRetryTime)
		case <-retryTimer.C:
			s.lg.Warn("waiting for ReadIndex response took too long, retrying",
				"sent-request-id", requestID, "retry-timeout", readIndexRetryTime)
			if err := s.sendReadIndex(requestID); err != nil {
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
