package mvcc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// fooHistory is key "foo": put@2, put@4, delete@6, put@8, put@10.
func fooHistory() *keyIndex {
	ki := &keyIndex{key: []byte("foo")}
	ki.put(Revision{Main: 2})
	ki.put(Revision{Main: 4})
	if err := ki.tombstone(Revision{Main: 6}); err != nil {
		panic(err)
	}
	ki.put(Revision{Main: 8})
	ki.put(Revision{Main: 10, Sub: 1})
	return ki
}

func TestKeyIndexGet(t *testing.T) {
	tests := []struct {
		atRev         int64
		wantMod       int64 // 0: not found
		wantCreated   int64
		wantVer       int64
		whatItExplain string
	}{
		{1, 0, 0, 0, "before the key existed"},
		{2, 2, 2, 1, "the creating put"},
		{3, 2, 2, 1, "between two puts, the older one is visible"},
		{5, 4, 2, 2, "the second version"},
		{6, 0, 0, 0, "deleted at 6"},
		{7, 0, 0, 0, "still deleted"},
		{8, 8, 8, 1, "re-created: a new generation, version starts over"},
		{10, 10, 8, 2, "the newest put"},
		{99, 10, 8, 2, "the future reads the newest"},
	}
	ki := fooHistory()
	for _, tt := range tests {
		mod, created, ver, err := ki.get(tt.atRev)
		if tt.wantMod == 0 {
			require.ErrorIs(t, err, ErrRevisionNotFound, "at %d: %s", tt.atRev, tt.whatItExplain)
			continue
		}
		require.NoError(t, err, "at %d: %s", tt.atRev, tt.whatItExplain)
		require.Equal(t, tt.wantMod, mod.Main, "mod revision at %d: %s", tt.atRev, tt.whatItExplain)
		require.Equal(t, tt.wantCreated, created.Main, "create revision at %d: %s", tt.atRev, tt.whatItExplain)
		require.Equal(t, tt.wantVer, ver, "version at %d: %s", tt.atRev, tt.whatItExplain)
	}
}

func TestKeyIndexTombstoneTwice(t *testing.T) {
	ki := fooHistory()
	require.NoError(t, ki.tombstone(Revision{Main: 12}))
	require.ErrorIs(t, ki.tombstone(Revision{Main: 13}), ErrRevisionNotFound, "a deleted key cannot be deleted again")
}

func TestKeyIndexCompact(t *testing.T) {
	tests := []struct {
		atRev    int64
		wantKeep []Revision // revisions at or below atRev that compaction must keep in bbolt
		wantGens [][]int64  // main revisions per generation afterwards
		wantGone bool       // nothing of the key is left
	}{
		{1, nil, [][]int64{{2, 4, 6}, {8, 10}}, false},
		{2, []Revision{{Main: 2}}, [][]int64{{2, 4, 6}, {8, 10}}, false},
		{5, []Revision{{Main: 4}}, [][]int64{{4, 6}, {8, 10}}, false},
		{6, []Revision{{Main: 6}}, [][]int64{{6}, {8, 10}}, false},
		{7, nil, [][]int64{{8, 10}}, false},
		{9, []Revision{{Main: 8}}, [][]int64{{8, 10}}, false},
		{10, []Revision{{Main: 10, Sub: 1}}, [][]int64{{10}}, false},
		{12, []Revision{{Main: 12}}, [][]int64{{12}, {}}, false}, // with a delete at 12 added below
		{13, nil, [][]int64{{}}, true},
	}
	for _, tt := range tests {
		ki := fooHistory()
		if tt.atRev >= 12 {
			require.NoError(t, ki.tombstone(Revision{Main: 12}))
		}
		keep := map[Revision]struct{}{}
		ki.compact(tt.atRev, keep)
		var gotKeep []Revision
		for r := range keep {
			gotKeep = append(gotKeep, r)
		}
		require.Equal(t, tt.wantKeep, gotKeep, "compact at %d: revisions to keep", tt.atRev)
		var gens [][]int64
		for _, g := range ki.generations {
			revs := []int64{}
			for _, r := range g.revs {
				revs = append(revs, r.Main)
			}
			gens = append(gens, revs)
		}
		require.Equal(t, tt.wantGens, gens, "compact at %d: generations left", tt.atRev)
		require.Equal(t, tt.wantGone, ki.isEmpty(), "compact at %d: key gone", tt.atRev)
	}
}

func TestKeyIndexCompactDeleteAndPutInOneRevision(t *testing.T) {
	// One txn at revision 5 deletes foo (sub 0) and puts it again (sub 1).
	ki := &keyIndex{key: []byte("foo")}
	ki.put(Revision{Main: 2})
	require.NoError(t, ki.tombstone(Revision{Main: 5, Sub: 0}))
	ki.put(Revision{Main: 5, Sub: 1})

	keep := map[Revision]struct{}{}
	ki.compact(5, keep)
	require.Equal(t, map[Revision]struct{}{{Main: 5, Sub: 1}: {}}, keep,
		"the put at 5.1 is what a read at 5 sees: compaction must keep it (etcd keeps the tombstone instead, etcd-io/etcd#22376)")
	mod, _, ver, err := ki.get(5)
	require.NoError(t, err)
	require.Equal(t, Revision{Main: 5, Sub: 1}, mod)
	require.Equal(t, int64(1), ver)
}

func TestRevisionBytesSortInRevisionOrder(t *testing.T) {
	revs := []Revision{{1, 0}, {1, 1}, {2, 0}, {256, 0}, {256, 3}, {1 << 40, 0}}
	for i := 1; i < len(revs); i++ {
		a, b := revToBytes(revs[i-1], false), revToBytes(revs[i], true)
		require.Less(t, string(a), string(b), "%v must sort before %v in bbolt", revs[i-1], revs[i])
		got, tomb := bytesToRev(b)
		require.Equal(t, revs[i], got)
		require.True(t, tomb)
	}
}
