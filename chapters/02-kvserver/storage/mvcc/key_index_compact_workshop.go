//go:build workshop_02 || workshop_compaction

//etcdwalk:exercise name=Compaction tag=workshop_compaction tests=^(TestKeyIndexCompact|TestStoreCompact)

package mvcc

// compact forgets the revisions of this key that no read at atRev or later can need. Workshop
// exercise "Compaction": make `go test -tags workshop_compaction -run
// 'TestKeyIndexCompact|TestStoreCompact' ./storage/mvcc/` pass. The reference answer is
// key_index_compact.go; etcd's is keyIndex.compact and doCompact in
// server/storage/mvcc/key_index.go.
//
// Example, key "foo": put@2, put@4, delete@6, put@8
//
//	generations: {revs [2 4 6]} {revs [8]}
//	compact(5): a read at 5 or later may still see the value of 4; 2 can go:
//	            {revs [4 6]} {revs [8]}, and 4 goes into available
//	compact(7): the first generation ended (tombstone 6) before 7; nobody can read it any more:
//	            {revs [8]}, nothing goes into available
//
// TODO:
//  1. Skip the generations that ended before atRev: a generation that is not the last one ends
//     with its tombstone, g.revs[len(g.revs)-1]; skip it while that tombstone's Main < atRev.
//     Skip it too if the next generation already started by atRev (next.revs[0].Main <= atRev):
//     a txn can delete a key and put it again in one revision, and then the later generation is
//     the one a read at atRev sees.
//  2. In the generation you stopped at, find the newest revision with Main <= atRev (walk g.revs
//     from the end). If there is one, add it to available and drop the revisions before it.
//  3. Drop the skipped generations from ki.generations.
//
// (The caller, treeIndex.Compact, removes the key from the index when isEmpty reports that nothing
// is left.)
func (ki *keyIndex) compact(atRev int64, available map[Revision]struct{}) {
}
