//go:build !(workshop_02 || workshop_compaction)

package mvcc

// compact forgets the revisions no read at atRev or later can need (etcd's keyIndex.compact and
// doCompact): every generation that ended before atRev, and in the generation alive at atRev every
// revision older than the one visible at atRev. The revision it keeps at or below atRev is added to
// available, so that compaction knows which bbolt entries must stay. Workshop exercise
// "Compaction".
//
// One case differs from etcd v3.6.16 on purpose: a txn that deletes a key and puts it again
// ends one generation and starts the next at the same main revision. etcd then keeps the
// tombstone and lets physical compaction delete the live put (etcd-io/etcd#22376); here a
// generation is only kept if no later generation had started by atRev.
func (ki *keyIndex) compact(atRev int64, available map[Revision]struct{}) {
	gi := 0
	for gi < len(ki.generations)-1 {
		g, next := ki.generations[gi], ki.generations[gi+1]
		if g.revs[len(g.revs)-1].Main >= atRev && (next.isEmpty() || next.revs[0].Main > atRev) {
			break // this generation was still alive (or ended exactly) at atRev
		}
		gi++
	}
	g := &ki.generations[gi]
	for n := len(g.revs) - 1; n >= 0; n-- {
		if g.revs[n].Main <= atRev {
			available[g.revs[n]] = struct{}{}
			g.revs = g.revs[n:]
			break
		}
	}
	ki.generations = ki.generations[gi:]
}
