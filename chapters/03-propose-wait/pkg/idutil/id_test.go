package idutil

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestIDsAreUniqueAcrossMembersAndRestarts(t *testing.T) {
	start := time.UnixMilli(1_700_000_000_000)
	a := NewGenerator(1, start)
	b := NewGenerator(2, start)
	seen := map[uint64]bool{}
	for range 1000 {
		for _, id := range []uint64{a.Next(), b.Next()} {
			require.False(t, seen[id], "ID %x handed out twice", id)
			seen[id] = true
		}
	}
	first := NewGenerator(1, start).Next()
	require.Equal(t, uint64(1), first>>48, "the member ID is the prefix")

	restarted := NewGenerator(1, start.Add(time.Second))
	require.Greater(t, restarted.Next(), a.Next(), "a member restarted later starts above what it handed out before")
}
