package backend

import (
	"bytes"
	"slices"
)

// readBuffer holds the Key bucket's writes of the open batch, so that readers see them before
// bbolt commits them (etcd's txReadBuffer, tx_buffer.go). Only the Key bucket is buffered: it is
// the one readers range over while writes go on; the others are read at start (the consistent
// index, the alarms) or by the writers themselves (UnsafeGet).
//
// Keys are kept sorted. A writer appends under the backend's rbufMu; a reader copies the two
// slice headers and reads its copy without a lock: an append never changes an element a copy
// can see (it writes past the copy's length, or into a new array), and a key put out of order
// is inserted into a new array, never the shared one. A commit replaces the buffer, once bbolt
// holds what it had.
//
// Deletes are not buffered: the only deletes in the Key bucket are compaction's, of revisions no
// reader may ask for any more (the index no longer points to them, and reads below the
// compaction revision are refused before they get here).
type readBuffer struct {
	keys, vals [][]byte
}

// put records key=value; the backend keeps the slices, as bbolt does until its commit.
func (rb *readBuffer) put(key, value []byte) {
	n := len(rb.keys)
	if n == 0 || bytes.Compare(rb.keys[n-1], key) < 0 {
		rb.keys, rb.vals = append(rb.keys, key), append(rb.vals, value)
		return
	}
	i, found := slices.BinarySearchFunc(rb.keys, key, bytes.Compare)
	if found {
		vals := slices.Clone(rb.vals)
		vals[i] = value
		rb.vals = vals
		return
	}
	rb.keys = slices.Insert(slices.Clip(rb.keys), i, key)
	rb.vals = slices.Insert(slices.Clip(rb.vals), i, value)
}

func (rb readBuffer) get(key []byte) []byte {
	if i, found := slices.BinarySearchFunc(rb.keys, key, bytes.Compare); found {
		return rb.vals[i]
	}
	return nil
}

// forEach calls f for the keys in [from, to) of the buffer merged with bbolt's, which committed
// yields in order; where both have a key, the buffer's value is the newer one.
func (rb readBuffer) forEach(from, to []byte, committed func(f func(k, v []byte) bool), f func(k, v []byte) bool) {
	i, _ := slices.BinarySearchFunc(rb.keys, from, bytes.Compare)
	inRange := func(k []byte) bool { return to == nil || bytes.Compare(k, to) < 0 }
	stopped := false
	committed(func(k, v []byte) bool {
		// First the buffer's keys up to k, then k itself unless the buffer had it.
		for i < len(rb.keys) && inRange(rb.keys[i]) {
			c := bytes.Compare(rb.keys[i], k)
			if c > 0 {
				break
			}
			if !f(rb.keys[i], rb.vals[i]) {
				stopped = true
				return false
			}
			i++
			if c == 0 {
				return true
			}
		}
		if !f(k, v) {
			stopped = true
			return false
		}
		return true
	})
	for ; !stopped && i < len(rb.keys) && inRange(rb.keys[i]); i++ {
		if !f(rb.keys[i], rb.vals[i]) {
			return
		}
	}
}
