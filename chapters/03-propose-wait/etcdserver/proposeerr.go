package etcdserver

import (
	"context"
	stderrors "errors"
	"time"

	"etcdwalk/chapters/02-kvserver/etcdserver/errors"

	"go.etcd.io/raft/v3"
)

// ErrCanceled is the answer to a request whose client went away (etcd's errors.ErrCanceled).
var ErrCanceled = stderrors.New("etcdserver: request cancelled")

// parseProposeCtxErr tells the client why a proposal timed out, as etcd's does (server.go):
//   - the leader changed while the request waited (it started less than two election timeouts
//     before the new leader was elected): the old leader probably took the proposal down with it;
//   - this member is the leader but has not heard from a quorum since the request started, or
//     is a follower cut off from the leader since then: the connection was lost;
//   - otherwise: just a timeout.
func (s *EtcdServer) parseProposeCtxErr(err error, start time.Time) error {
	switch {
	case stderrors.Is(err, context.Canceled):
		return ErrCanceled
	case stderrors.Is(err, context.DeadlineExceeded):
		s.leadTimeMu.RLock()
		curLeadElected := s.leadElectedTime
		s.leadTimeMu.RUnlock()
		prevLeadLost := curLeadElected.Add(-2 * s.Cfg.electionTimeout())
		if start.After(prevLeadLost) && start.Before(curLeadElected) {
			return errors.ErrTimeoutDueToLeaderFail
		}
		switch lead := s.Lead(); lead {
		case raft.None:
			// No leader now: etcd says only "timed out" here too.
		case s.id:
			if !s.connectedToQuorumSince(start) {
				return errors.ErrTimeoutDueToConnectionLost
			}
		default:
			if !s.connectedSince(start, lead) {
				return errors.ErrTimeoutDueToConnectionLost
			}
		}
		return errors.ErrTimeout
	default:
		return err
	}
}

func (s *EtcdServer) connectedSince(since time.Time, id uint64) bool {
	t := s.r.transport.ActiveSince(id)
	return !t.IsZero() && t.Before(since)
}

func (s *EtcdServer) connectedToQuorumSince(since time.Time) bool {
	n := 0
	for _, m := range s.Cfg.Members {
		if m.ID == s.id || s.connectedSince(since, m.ID) {
			n++
		}
	}
	return n >= len(s.Cfg.Members)/2+1
}
