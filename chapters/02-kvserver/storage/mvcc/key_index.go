package mvcc

import (
	"errors"
	"fmt"
)

// ErrRevisionNotFound: the key did not exist at the asked revision.
var ErrRevisionNotFound = errors.New("mvcc: revision not found")

// keyIndex is the history of one key: the revisions at which it was written, grouped into
// generations. A generation runs from the put that creates the key to the delete that ends it;
// the delete's revision (the tombstone) is the generation's last revision, and an empty generation
// follows it until the key is created again. As etcd's storage/mvcc/key_index.go:
//
//	key "foo": put@2, put@4, delete@6, put@8
//	generations: {created 2, ver 3, revs [2 4 6]}  {created 8, ver 1, revs [8]}
//
// The index holds revisions only; the values live in bbolt under those revisions.
type keyIndex struct {
	key         []byte
	modified    Revision // the newest revision of the key, tombstones included
	generations []generation
}

type generation struct {
	ver     int64 // puts in this generation (the tombstone counts too, but is never read as a version)
	created Revision
	revs    []Revision
}

func (g *generation) isEmpty() bool { return g == nil || len(g.revs) == 0 }

// put records a write of the key at rev.
func (ki *keyIndex) put(rev Revision) {
	if !rev.GreaterThan(ki.modified) {
		panic(fmt.Sprintf("mvcc: put of %q at %v is not newer than %v", ki.key, rev, ki.modified))
	}
	if len(ki.generations) == 0 {
		ki.generations = append(ki.generations, generation{})
	}
	g := &ki.generations[len(ki.generations)-1]
	if len(g.revs) == 0 {
		g.created = rev
	}
	g.revs = append(g.revs, rev)
	g.ver++
	ki.modified = rev
}

// restore starts the index of a key found in the backend at start-up: its oldest surviving
// revision is modified, and it was created at created with version ver.
func (ki *keyIndex) restore(created, modified Revision, ver int64) {
	ki.modified = modified
	ki.generations = append(ki.generations, generation{created: created, ver: ver, revs: []Revision{modified}})
}

// restoreTombstone starts the index of a key whose oldest surviving revision is its deletion.
func (ki *keyIndex) restoreTombstone(rev Revision) {
	ki.restore(rev, rev, 1)
	ki.generations = append(ki.generations, generation{})
}

// tombstone records the deletion of the key at rev, ending its current generation.
func (ki *keyIndex) tombstone(rev Revision) error {
	if ki.generations[len(ki.generations)-1].isEmpty() {
		return ErrRevisionNotFound // already deleted
	}
	ki.put(rev)
	ki.generations = append(ki.generations, generation{})
	return nil
}

// get returns the revision of the key's value as of atRev, with the generation's creation revision
// and the key's version at that point.
func (ki *keyIndex) get(atRev int64) (modified, created Revision, ver int64, err error) {
	g := ki.findGeneration(atRev)
	if g.isEmpty() {
		return Revision{}, Revision{}, 0, ErrRevisionNotFound
	}
	for n := len(g.revs) - 1; n >= 0; n-- {
		if g.revs[n].Main <= atRev {
			// Each revision after n in this generation was one more version.
			return g.revs[n], g.created, g.ver - int64(len(g.revs)-n-1), nil
		}
	}
	return Revision{}, Revision{}, 0, ErrRevisionNotFound
}

// findGeneration returns the generation the key was in at rev, or nil if it did not exist then.
func (ki *keyIndex) findGeneration(rev int64) *generation {
	last := len(ki.generations) - 1
	for i := last; i >= 0; i-- {
		g := &ki.generations[i]
		if g.isEmpty() {
			continue
		}
		// A finished generation ends with its tombstone: at or after it the key was gone.
		if i != last && g.revs[len(g.revs)-1].Main <= rev {
			return nil
		}
		if g.revs[0].Main <= rev {
			return g
		}
	}
	return nil
}

// isEmpty reports whether nothing of the key is left to read: one generation, and that empty.
func (ki *keyIndex) isEmpty() bool {
	return len(ki.generations) == 1 && ki.generations[0].isEmpty()
}
