package idutil

import (
	"sync/atomic"
	"time"
)

const (
	tsLen     = 5 * 8
	cntLen    = 8
	suffixLen = tsLen + cntLen
)

// Generator hands out IDs; it is safe for concurrent use.
type Generator struct {
	prefix uint64
	suffix atomic.Uint64
}

// NewGenerator returns the generator of the member memberID, started at now.
func NewGenerator(memberID uint16, now time.Time) *Generator {
	g := &Generator{prefix: uint64(memberID) << suffixLen}
	g.suffix.Store(lowbit(uint64(now.UnixMilli()), tsLen) << cntLen)
	return g
}

// Next returns the next ID.
func (g *Generator) Next() uint64 {
	return g.prefix | lowbit(g.suffix.Add(1), suffixLen)
}

func lowbit(x uint64, n uint) uint64 { return x & (^uint64(0) >> (64 - n)) }
