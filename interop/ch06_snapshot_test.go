package interop_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestChapter06CatchUpBySnapshot: with one process per member and --snapshot-count 100, a member
// that is down while 400 entries are written finds the leader's log compacted past what it has
// (the leader keeps --snapshot-catchup-entries 50 of them). It comes back by a snapshot of the
// leader's db sent over the peer transport, and then holds every acknowledged write, the same
// as the others. The members' own logs say that a snapshot was sent and applied.
func TestChapter06CatchUpBySnapshot(t *testing.T) {
	t.Parallel()
	c := startCh06(t, append([]string{"--snapshot-count", "100", "--snapshot-catchup-entries", "50"}, ch06FastRaft...)...)
	sent := map[string]*ch06Put{}
	putCh06(t, c, "ch06/snap/before", 20, sent)
	m := (ch06Leader(t, c) + 1) % len(c.Members) // a follower
	member := c.Members[m]

	member.Kill(t)
	putCh06(t, c, "ch06/snap/while-down", 400, sent)
	member.Restart(t)
	c.WaitReady(t)
	st := checkCh06Store(t, c, sent)
	t.Logf("the store holds revisions 2..%d, one put each, the same on every member", st.rev)

	logOf := func(i int) string {
		var all strings.Builder
		for _, path := range c.Members[i].Proc().Logs() {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			all.Write(b)
		}
		return all.String()
	}
	require.True(t, strings.Contains(logOf(m), "applied snapshot"),
		"the member that was down was behind the leader's compacted log: it must have caught up from a snapshot")
	sentBy := -1
	for i := range c.Members {
		if i != m && strings.Contains(logOf(i), "sent database snapshot") {
			sentBy = i
		}
	}
	require.NotEqual(t, -1, sentBy, "a member that was up must have sent its db over the peer transport")
}
