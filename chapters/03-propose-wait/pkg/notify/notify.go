package notify

import "sync"

// Notifier tells every waiter when an event happens. Use NewNotifier.
type Notifier struct {
	mu sync.RWMutex
	c  chan struct{}
}

func NewNotifier() *Notifier { return &Notifier{c: make(chan struct{})} }

// Receive returns a channel that is closed at the next Notify. Take it before checking whatever the
// event would change: an event between the check and Receive would otherwise be missed.
func (n *Notifier) Receive() <-chan struct{} {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.c
}

// Notify wakes everyone who took a channel since the last Notify.
func (n *Notifier) Notify() {
	n.mu.Lock()
	old := n.c
	n.c = make(chan struct{})
	n.mu.Unlock()
	close(old)
}
