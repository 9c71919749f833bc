package etcdserver

import "sync/atomic"

// notifier is one ReadIndex round as the reads waiting on it see it (etcd's notifier in
// v3_server.go): c is closed when the round ends, and err says how. Every read that arrives while
// the round is being set up waits on the same notifier, which is what makes one ReadIndex serve
// many reads.
type notifier struct {
	c   chan struct{}
	err error

	// What --trace shows of the round: how many reads it served, and at which index.
	reads     atomic.Int64
	readIndex uint64
}

func newNotifier() *notifier { return &notifier{c: make(chan struct{})} }

// notify ends the round for everyone waiting on it. err and readIndex are written before c is
// closed, so that a waiter woken by c sees them.
func (nc *notifier) notify(err error) {
	nc.err = err
	close(nc.c)
}
