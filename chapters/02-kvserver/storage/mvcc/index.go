package mvcc

import (
	"bytes"
	"sync"

	"github.com/google/btree"
)

// treeIndex is the in-memory index from keys to their revisions: a B-tree of keyIndex ordered by
// key, as etcd's storage/mvcc/index.go. Ranges walk it in key order; values are then read from
// bbolt by revision.
//
// end follows etcd's convention: nil means the single key, an empty non-nil slice means "no upper
// bound" (the RangeRequest's "\x00"), anything else is an exclusive upper bound.
type treeIndex struct {
	mu   sync.RWMutex
	tree *btree.BTreeG[*keyIndex]
}

func newTreeIndex() *treeIndex {
	return &treeIndex{tree: btree.NewG(32, func(a, b *keyIndex) bool { return bytes.Compare(a.key, b.key) < 0 })}
}

func (ti *treeIndex) Put(key []byte, rev Revision) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ki, ok := ti.tree.Get(&keyIndex{key: key})
	if !ok {
		ki = &keyIndex{key: bytes.Clone(key)}
		ti.tree.ReplaceOrInsert(ki)
	}
	ki.put(rev)
}

func (ti *treeIndex) Get(key []byte, atRev int64) (modified, created Revision, ver int64, err error) {
	ti.mu.RLock()
	defer ti.mu.RUnlock()
	ki, ok := ti.tree.Get(&keyIndex{key: key})
	if !ok {
		return Revision{}, Revision{}, 0, ErrRevisionNotFound
	}
	return ki.get(atRev)
}

// Tombstone records the deletion of key at rev.
func (ti *treeIndex) Tombstone(key []byte, rev Revision) error {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ki, ok := ti.tree.Get(&keyIndex{key: key})
	if !ok {
		return ErrRevisionNotFound
	}
	return ki.tombstone(rev)
}

// visit calls f for each key index in [key, end) until f returns false. The caller holds mu.
func (ti *treeIndex) visit(key, end []byte, f func(ki *keyIndex) bool) {
	ti.tree.AscendGreaterOrEqual(&keyIndex{key: key}, func(ki *keyIndex) bool {
		if len(end) > 0 && bytes.Compare(ki.key, end) >= 0 {
			return false
		}
		return f(ki)
	})
}

// Revisions returns the revisions of the keys in [key, end) that existed at atRev, in key order,
// at most limit of them (limit <= 0: all), and how many there were in total.
func (ti *treeIndex) Revisions(key, end []byte, atRev int64, limit int) (revs []Revision, total int) {
	ti.mu.RLock()
	defer ti.mu.RUnlock()
	if end == nil {
		ki, ok := ti.tree.Get(&keyIndex{key: key})
		if !ok {
			return nil, 0
		}
		rev, _, _, err := ki.get(atRev)
		if err != nil {
			return nil, 0
		}
		return []Revision{rev}, 1
	}
	ti.visit(key, end, func(ki *keyIndex) bool {
		if rev, _, _, err := ki.get(atRev); err == nil {
			if limit <= 0 || len(revs) < limit {
				revs = append(revs, rev)
			}
			total++
		}
		return true
	})
	return revs, total
}

// CountRevisions counts the keys in [key, end) that existed at atRev.
func (ti *treeIndex) CountRevisions(key, end []byte, atRev int64) int {
	_, total := ti.Revisions(key, end, atRev, 1)
	return total
}

// Range returns the keys in [key, end) that existed at atRev, with their revisions.
func (ti *treeIndex) Range(key, end []byte, atRev int64) (keys [][]byte, revs []Revision) {
	ti.mu.RLock()
	defer ti.mu.RUnlock()
	if end == nil {
		end = append(bytes.Clone(key), 0) // the single key, as the range [key, key+"\x00")
	}
	ti.visit(key, end, func(ki *keyIndex) bool {
		if rev, _, _, err := ki.get(atRev); err == nil {
			keys = append(keys, ki.key)
			revs = append(revs, rev)
		}
		return true
	})
	return keys, revs
}

// Compact compacts every key's history at rev (see keyIndex.compact), drops the keys with nothing
// left, and returns the revisions at or below rev that must be kept.
func (ti *treeIndex) Compact(rev int64) map[Revision]struct{} {
	available := make(map[Revision]struct{})
	ti.mu.Lock()
	defer ti.mu.Unlock()
	var emptied []*keyIndex
	ti.tree.Ascend(func(ki *keyIndex) bool {
		ki.compact(rev, available)
		if ki.isEmpty() {
			emptied = append(emptied, ki)
		}
		return true
	})
	for _, ki := range emptied {
		ti.tree.Delete(ki)
	}
	return available
}

// restore adds a revision read from the backend at start-up (see store.restore).
func (ti *treeIndex) restore(key []byte, rev Revision, tombstone bool, created Revision, ver int64) {
	ki, ok := ti.tree.Get(&keyIndex{key: key})
	switch {
	case !ok && tombstone:
		ki = &keyIndex{key: bytes.Clone(key)}
		ki.restoreTombstone(rev)
		ti.tree.ReplaceOrInsert(ki)
	case !ok:
		ki = &keyIndex{key: bytes.Clone(key)}
		ki.restore(created, rev, ver)
		ti.tree.ReplaceOrInsert(ki)
	case tombstone:
		_ = ki.tombstone(rev)
	default:
		ki.put(rev)
	}
}
