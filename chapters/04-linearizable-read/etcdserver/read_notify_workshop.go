//go:build workshop_04 || workshop_readnotify

//etcdwalk:exercise name=ReadNotify tag=workshop_readnotify tests=^Test(Cluster|Read) skip=^TestCluster(SerializableReadsAreNotLinearizable|NoLeaderRefusesRequireLeaderReads)$

package etcdserver

import (
	"context"
	"errors"
)

// linearizableReadNotify is the barrier every linearizable Range and read-only Txn passes before
// it reads the local store. Workshop exercise "ReadNotify": make `go test -tags
// workshop_readnotify ./etcdserver/` pass. The reference answer is read_notify.go; etcd's is
// linearizableReadNotify in server/etcdserver/v3_server.go, which the seed quotes.
//
// The read loop (read_loop.go) serves reads in rounds. s.readNotifier is the round that reads
// arriving now will be served by; the loop swaps in a fresh one when it starts a round, and
// closes the old one's channel c, with its err, when the round ends.
//
// TODO:
//  1. Take the current round, s.readNotifier, under s.readMu (a read lock is enough). Take it
//     before you wake the loop: why would the other order leave a read waiting for a round
//     nobody will start? (nc.reads.Add(1) lets --trace show how many reads the round served.)
//  2. Wake the loop by putting a token in s.readwaitc. It has one slot: if it is full, a round
//     is already coming, and the read must not block here (what would a thousand reads queued
//     on that send do while the loop is stuck for seven seconds?).
//  3. Wait for whichever comes first: the round's end (return its err: a failed round must not
//     let the read through), ctx.Done() (return ctx.Err()), or s.r.StopNotify() (return
//     errors.ErrStopped from etcdwalk/chapters/02-kvserver/etcdserver/errors).
func (s *EtcdServer) linearizableReadNotify(ctx context.Context) error {
	return errors.New("workshop: linearizableReadNotify is not written yet")
}
