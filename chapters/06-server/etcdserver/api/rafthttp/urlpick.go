package rafthttp

import (
	"net/url"
	"sync"
)

// urlPicker chooses which of a peer's URLs to use: the same one until it fails, then the next
// (etcd's urlpick.go).
type urlPicker struct {
	mu     sync.Mutex
	urls   []url.URL
	picked int
}

func newURLPicker(urls []url.URL) *urlPicker { return &urlPicker{urls: urls} }

func (p *urlPicker) pick() url.URL {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.urls[p.picked]
}

// unreachable moves on from u, unless another sender already has.
func (p *urlPicker) unreachable(u url.URL) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u == p.urls[p.picked] {
		p.picked = (p.picked + 1) % len(p.urls)
	}
}
