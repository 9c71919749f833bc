package wait

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestTimeListReleasesOnlyReachedDeadlines(t *testing.T) {
	tl := NewTimeList()
	w5, w10, w11 := tl.Wait(5), tl.Wait(10), tl.Wait(11)
	tl.Trigger(10)
	require.True(t, isClosed(w5), "deadline 5 was passed by Trigger(10)")
	require.True(t, isClosed(w10), "deadline 10 was reached by Trigger(10)")
	require.False(t, isClosed(w11), "deadline 11 has not been reached: a read waiting for index 11 must keep waiting")
	require.True(t, isClosed(tl.Wait(7)), "a deadline already passed is released at once, or a read would wait forever")
	tl.Trigger(11)
	require.True(t, isClosed(w11))
}

func TestTimeListSharesAChannelPerDeadline(t *testing.T) {
	tl := NewTimeList()
	a, b := tl.Wait(3), tl.Wait(3)
	tl.Trigger(2)
	require.False(t, isClosed(a) || isClosed(b))
	tl.Trigger(3)
	require.True(t, isClosed(a) && isClosed(b), "every waiter of a deadline is released")
}
