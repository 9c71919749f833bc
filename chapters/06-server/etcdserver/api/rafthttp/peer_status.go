package rafthttp

import (
	"log/slog"
	"sync"
	"time"
)

// peerStatus is whether the link to one peer works, and since when (etcd's peer_status.go). The
// stream reader, the stream writer, the pipeline and the snapshot sender all report to it: any
// success brings the link up, any failure takes it down, so ActiveSince is zero exactly while
// the last thing tried with the peer failed.
type peerStatus struct {
	lg     *slog.Logger
	local  uint64
	id     uint64
	mu     sync.Mutex
	active bool
	since  time.Time
}

func newPeerStatus(lg *slog.Logger, local, id uint64) *peerStatus {
	return &peerStatus{lg: lg, local: local, id: id}
}

func (s *peerStatus) activate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		s.lg.Info("peer became active", "local-member-id", idString(s.local), "remote-peer-id", idString(s.id))
		s.active = true
		s.since = time.Now()
	}
}

// deactivate takes the link down; source and action say what failed ("stream Message", "dial").
func (s *peerStatus) deactivate(source, action string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active {
		s.lg.Warn("peer became inactive (message send to peer failed)", "local-member-id", idString(s.local),
			"remote-peer-id", idString(s.id), "source", source, "action", action, "error", err)
		s.active = false
		s.since = time.Time{}
		return
	}
	s.lg.Debug("peer deactivated again", "remote-peer-id", idString(s.id), "source", source, "action", action, "error", err)
}

func (s *peerStatus) isActive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

func (s *peerStatus) activeSince() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.since
}
