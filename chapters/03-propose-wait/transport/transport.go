package transport

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// Transporter is what raftNode needs from the network (etcd's rafthttp.Transporter, reduced).
type Transporter interface {
	// Send delivers msgs to their recipients, best effort: raft copes with loss.
	Send(msgs []raftpb.Message)
	// ActiveSince is when the link to the member id last came up; zero while it is down.
	ActiveSince(id uint64) time.Time
	// Stop disconnects the member: nothing is sent to it or from it any more.
	Stop()
}

// Joiner connects a member to its peers: EtcdServer joins with its ID and its raft, and sends
// with the Transporter it gets back. Chapter 03's Network joins members in memory; chapter 06's
// transport joins them over the network.
type Joiner interface {
	Join(id uint64, r Raft) Transporter
}

// Raft is the receiving end: a member's raft (EtcdServer.Process).
type Raft interface {
	Process(ctx context.Context, m raftpb.Message) error
}

// queueLen bounds the messages waiting for one member; beyond it messages are dropped, as a
// congested network would.
const queueLen = 4096

type link struct{ from, to uint64 }

// Network connects members in memory. The zero value is not usable; use NewNetwork.
type Network struct {
	mu      sync.Mutex
	members map[uint64]*inbox
	cut     map[link]bool
	upSince map[link]time.Time
	delay   time.Duration
	drop    float64

	// In hold mode every message waits in held until Deliver hands it over (Hold).
	hold  bool
	held  []raftpb.Message
	sends int
}

type inbox struct {
	r    Raft
	c    chan raftpb.Message
	stop chan struct{}
	done chan struct{}
}

// NewNetwork returns an empty network.
func NewNetwork() *Network {
	return &Network{members: map[uint64]*inbox{}, cut: map[link]bool{}, upSince: map[link]time.Time{}}
}

// Join connects member id, whose raft is r, and returns the transport it sends with. Messages to
// id are delivered to r one at a time, in order.
func (n *Network) Join(id uint64, r Raft) Transporter {
	in := &inbox{r: r, c: make(chan raftpb.Message, queueLen), stop: make(chan struct{}), done: make(chan struct{})}
	n.mu.Lock()
	n.members[id] = in
	now := time.Now()
	for other := range n.members {
		n.linkUp(link{id, other}, now)
		n.linkUp(link{other, id}, now)
	}
	n.mu.Unlock()
	go n.deliver(in, r)
	return &memTransport{n: n, id: id}
}

func (n *Network) linkUp(l link, now time.Time) {
	if _, ok := n.upSince[l]; !ok && !n.cut[l] {
		n.upSince[l] = now
	}
}

func (n *Network) deliver(in *inbox, r Raft) {
	defer close(in.done)
	for {
		select {
		case m := <-in.c:
			n.mu.Lock()
			d := n.delay
			n.mu.Unlock()
			if d > 0 {
				select {
				case <-time.After(d):
				case <-in.stop:
					return
				}
			}
			_ = r.Process(context.Background(), m)
		case <-in.stop:
			return
		}
	}
}

// Leave disconnects member id (it stopped): messages to it are dropped from now on.
func (n *Network) Leave(id uint64) {
	n.mu.Lock()
	in, ok := n.members[id]
	delete(n.members, id)
	for l := range n.upSince {
		if l.from == id || l.to == id {
			delete(n.upSince, l)
		}
	}
	n.mu.Unlock()
	if ok {
		close(in.stop)
		<-in.done
	}
}

// Partition cuts every link between members of different groups; members not named keep their
// links. Heal undoes all cuts.
func (n *Network) Partition(groups ...[]uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	group := map[uint64]int{}
	for i, g := range groups {
		for _, id := range g {
			group[id] = i
		}
	}
	for a, ga := range group {
		for b, gb := range group {
			if ga != gb {
				n.cut[link{a, b}] = true
				delete(n.upSince, link{a, b})
			}
		}
	}
}

// Isolate cuts member id off from every other member.
func (n *Network) Isolate(id uint64) {
	n.mu.Lock()
	others := []uint64{}
	for m := range n.members {
		if m != id {
			others = append(others, m)
		}
	}
	n.mu.Unlock()
	n.Partition([]uint64{id}, others)
}

// Heal restores every cut link.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut = map[link]bool{}
	now := time.Now()
	for a := range n.members {
		for b := range n.members {
			if a != b {
				n.linkUp(link{a, b}, now)
			}
		}
	}
}

// SetDelay delays every delivered message by d; SetDropRate drops each message with probability p.
func (n *Network) SetDelay(d time.Duration) { n.mu.Lock(); n.delay = d; n.mu.Unlock() }
func (n *Network) SetDropRate(p float64)    { n.mu.Lock(); n.drop = p; n.mu.Unlock() }

// Hold makes the network keep every message sent from now on until Deliver hands it over, so
// that a test decides when each message arrives and can tell the story one step at a time.
func (n *Network) Hold() { n.mu.Lock(); n.hold = true; n.mu.Unlock() }

// Held returns the messages waiting for Deliver, and how many sends (one per raft Ready) the
// network has seen: together they tell whether the members are still busy. The messages come by
// sender and recipient ID, each link's in the order sent: members that send at the same time are
// listed the same way in every run.
func (n *Network) Held() (msgs []raftpb.Message, sends int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return byLink(n.held), n.sends
}

func byLink(msgs []raftpb.Message) []raftpb.Message {
	out := append([]raftpb.Message(nil), msgs...)
	slices.SortStableFunc(out, func(a, b raftpb.Message) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return out
}

// Deliver hands every held message to its recipient, in the order Held lists them, and returns
// them. A message over a cut link, or to a member that left, is dropped instead.
func (n *Network) Deliver(ctx context.Context) (delivered, dropped []raftpb.Message) {
	n.mu.Lock()
	msgs := byLink(n.held)
	n.held = nil
	n.mu.Unlock()
	for _, m := range msgs {
		n.mu.Lock()
		in, ok := n.members[m.To]
		cut := n.cut[link{m.From, m.To}]
		n.mu.Unlock()
		if !ok || cut {
			dropped = append(dropped, m)
			continue
		}
		// raft may change the entries of a message it steps (a leader stamps a proposal's with
		// its term and index): it gets a copy, and the caller keeps the message as it was sent.
		cp := m
		cp.Entries = append([]raftpb.Entry(nil), m.Entries...)
		_ = in.r.Process(ctx, cp)
		delivered = append(delivered, m)
	}
	return delivered, dropped
}

type memTransport struct {
	n  *Network
	id uint64
}

func (t *memTransport) Send(msgs []raftpb.Message) {
	n := t.n
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sends++
	if n.hold {
		for _, m := range msgs {
			if m.To != t.id {
				n.held = append(n.held, m)
			}
		}
		return
	}
	for _, m := range msgs {
		if m.To == t.id || n.cut[link{t.id, m.To}] || (n.drop > 0 && rand.Float64() < n.drop) {
			continue
		}
		in, ok := n.members[m.To]
		if !ok {
			continue
		}
		select {
		case in.c <- m:
		default: // the recipient is far behind: drop, raft will retry
		}
	}
}

func (t *memTransport) Stop() { t.n.Leave(t.id) }

func (t *memTransport) ActiveSince(id uint64) time.Time {
	t.n.mu.Lock()
	defer t.n.mu.Unlock()
	return t.n.upSince[link{t.id, id}]
}
