package etcdserver

import (
	"context"
	"encoding/binary"
	"errors"

	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"

	"go.etcd.io/raft/v3"
)

// sendReadIndex asks raft for a read index tagged with the round's request ID (etcd's
// sendReadIndex). raft answers later, on ReadStates, or not at all.
func (s *EtcdServer) sendReadIndex(requestID uint64) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.reqTimeout)
	defer cancel()
	err := s.r.ReadIndex(ctx, requestIDBytes(requestID))
	if err != nil && !errors.Is(err, raft.ErrStopped) {
		s.lg.Warn("failed to get read index from Raft", "error", err)
	}
	return err
}

// requestIDBytes is the 8-byte, big-endian tag a ReadIndex carries and its ReadState returns.
func requestIDBytes(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// isStopped: the member is going away, so the loop ends instead of failing the round.
func isStopped(err error) bool {
	return errors.Is(err, raft.ErrStopped) || errors.Is(err, etcderr.ErrStopped)
}
