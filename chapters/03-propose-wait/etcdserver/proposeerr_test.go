package etcdserver

import (
	"context"
	"testing"
	"time"

	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// fakeTransport reports fixed link ages.
type fakeTransport map[uint64]time.Time

func (fakeTransport) Send([]raftpb.Message)             {}
func (fakeTransport) Stop()                             {}
func (f fakeTransport) ActiveSince(id uint64) time.Time { return f[id] }

func TestParseProposeCtxErr(t *testing.T) {
	start := time.Now()
	before, after := start.Add(-time.Minute), start.Add(time.Second)
	members := []membership.Member{{ID: 1}, {ID: 2}, {ID: 3}}
	tests := []struct {
		name        string
		err         error
		lead        uint64
		leadElected time.Time
		links       fakeTransport
		want        error
	}{
		{"client went away", context.Canceled, 2, before, nil, ErrCanceled},
		{"new leader elected just after the request started", context.DeadlineExceeded, 2, start.Add(100 * time.Millisecond), nil, errors.ErrTimeoutDueToLeaderFail},
		{"leader without a quorum since the start", context.DeadlineExceeded, 1, before, fakeTransport{2: after, 3: after}, errors.ErrTimeoutDueToConnectionLost},
		{"leader with a quorum: plain timeout", context.DeadlineExceeded, 1, before, fakeTransport{2: before}, errors.ErrTimeout},
		{"follower whose link to the leader came up after the start", context.DeadlineExceeded, 2, before, fakeTransport{2: after}, errors.ErrTimeoutDueToConnectionLost},
		{"follower cut off from the leader", context.DeadlineExceeded, 2, before, fakeTransport{}, errors.ErrTimeoutDueToConnectionLost},
		{"follower connected all along: plain timeout", context.DeadlineExceeded, 2, before, fakeTransport{2: before}, errors.ErrTimeout},
		{"no leader at all", context.DeadlineExceeded, raft.None, before, nil, errors.ErrTimeout},
		{"any other error passes through", raft.ErrStopped, 2, before, nil, raft.ErrStopped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &EtcdServer{
				Cfg: ServerConfig{TickMs: 100, ElectionTicks: 10, Members: members},
				id:  1,
				r:   &raftNode{raftNodeConfig: raftNodeConfig{transport: tt.links}},
			}
			s.r.lead.Store(tt.lead)
			s.leadElectedTime = tt.leadElected
			require.Equal(t, tt.want, s.parseProposeCtxErr(tt.err, start))
		})
	}
}
