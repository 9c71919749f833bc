package mvcc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKeyIndexCompactKeepsWhatAtRevSees catches the mistake the Compaction exercise is about:
// dropping, with the older revisions, the one that a read at the compaction revision sees. After
// a compaction at atRev, reads at atRev must still be served, and their revision kept in bbolt.
// The mutants in testdata/mutants make such mistakes in the reference code.
func TestKeyIndexCompactKeepsWhatAtRevSees(t *testing.T) {
	for _, atRev := range []int64{2, 3, 5, 9, 10} {
		ki := fooHistory()
		want, _, _, err := ki.get(atRev)
		require.NoError(t, err, "fooHistory has a value at %d", atRev)
		keep := map[Revision]struct{}{}
		ki.compact(atRev, keep)
		got, _, _, err := ki.get(atRev)
		require.NoError(t, err,
			"compacting at %d dropped the revision that a read at %d sees (%d): keep the newest revision at or below atRev", atRev, atRev, want.Main)
		require.Equal(t, want, got, "a read at %d sees the same revision after a compaction at %d", atRev, atRev)
		require.Equal(t, map[Revision]struct{}{want: {}}, keep,
			"compact at %d: bbolt must keep revision %d, the one a read at %d sees, and only it", atRev, want.Main, atRev)
	}
}
