package wait

import "sync"

// WaitTime lets goroutines wait until a number that only grows (the applied index) reaches a value
// of theirs: etcd's applyWait, on which a linearizable read waits for the index ReadIndex gave it.
type WaitTime interface {
	// Wait returns a channel closed once Trigger has been called with a value >= deadline; at once
	// if it already has.
	Wait(deadline uint64) <-chan struct{}
	// Trigger closes the channels of every deadline <= deadline. Values must not decrease.
	Trigger(deadline uint64)
}

type timeList struct {
	mu        sync.Mutex
	triggered uint64                   // the highest value Trigger has been called with
	waiters   map[uint64]chan struct{} // one channel per deadline, shared by its waiters
}

// NewTimeList returns an empty WaitTime (etcd's name).
func NewTimeList() WaitTime { return &timeList{waiters: map[uint64]chan struct{}{}} }

var closedc = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (tl *timeList) Wait(deadline uint64) <-chan struct{} {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if deadline <= tl.triggered {
		return closedc
	}
	c, ok := tl.waiters[deadline]
	if !ok {
		c = make(chan struct{})
		tl.waiters[deadline] = c
	}
	return c
}

// Trigger walks every waiting deadline; there are few at a time (about one per read batch in
// flight), as in etcd.
func (tl *timeList) Trigger(deadline uint64) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.triggered = max(tl.triggered, deadline)
	for d, c := range tl.waiters {
		if d <= deadline {
			close(c)
			delete(tl.waiters, d)
		}
	}
}
