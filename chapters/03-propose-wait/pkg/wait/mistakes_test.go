package wait

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWaitTriggerNeverBlocks catches the mistake of an unbuffered channel. A proposer that gives
// up stops reading its channel; if the apply loop has taken the channel out of the registry just
// before, its send would block for good, and the whole member with it. The mutants in
// testdata/mutants make such mistakes in the reference code.
func TestWaitTriggerNeverBlocks(t *testing.T) {
	w := New()
	require.NotNil(t, w, "New must return a registry")
	ch := w.Register(1)
	require.Positive(t, cap(ch),
		"Register returned an unbuffered channel: Trigger would block on a waiter that gave up. Give each channel a buffer of one")

	triggered := make(chan struct{})
	go func() {
		w.Trigger(1, "late result") // nobody reads ch yet
		close(triggered)
	}()
	select {
	case <-triggered:
	case <-time.After(5 * time.Second):
		<-ch // unblock Trigger, so that the test leaves no goroutine behind
		<-triggered
		require.Fail(t, "Trigger blocked on a waiter that does not read: send into the channel's buffer")
	}
	got, _ := receive(t, ch, "the waiter that read late")
	require.Equal(t, "late result", got, "the result waits in the buffer for its reader")
}
