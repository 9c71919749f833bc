//go:build !(workshop_03 || workshop_waitregistry)

package wait

import (
	"fmt"
	"sync"
)

// shards spreads the IDs over this many locks (etcd's defaultListElementLength).
const shards = 64

// Wait delivers results to waiters by ID.
type Wait interface {
	// Register returns the channel the result for id will arrive on. An ID may be registered once
	// at a time; registering it twice is a bug of the caller, and panics as in etcd.
	Register(id uint64) <-chan any
	// Trigger delivers x to id's waiter, if there is one, and forgets id.
	Trigger(id uint64, x any)
	IsRegistered(id uint64) bool
}

type shard struct {
	mu sync.Mutex
	m  map[uint64]chan any
}

type list struct{ shards [shards]shard }

// New returns an empty Wait. Workshop exercise "WaitRegistry": New, Register, Trigger and
// IsRegistered.
func New() Wait {
	l := &list{}
	for i := range l.shards {
		l.shards[i].m = make(map[uint64]chan any)
	}
	return l
}

func (l *list) shard(id uint64) *shard { return &l.shards[id%shards] }

func (l *list) Register(id uint64) <-chan any {
	s := l.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[id]; ok {
		panic(fmt.Sprintf("wait: duplicate id %x", id))
	}
	// Buffered, so that Trigger never blocks on a waiter that has given up.
	ch := make(chan any, 1)
	s.m[id] = ch
	return ch
}

func (l *list) Trigger(id uint64, x any) {
	s := l.shard(id)
	s.mu.Lock()
	ch, ok := s.m[id]
	delete(s.m, id)
	s.mu.Unlock()
	if ok {
		ch <- x
		close(ch)
	}
}

func (l *list) IsRegistered(id uint64) bool {
	s := l.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[id]
	return ok
}
