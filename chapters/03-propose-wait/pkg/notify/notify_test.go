package notify

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestNotifierWakesEveryWaiterOnce(t *testing.T) {
	n := NewNotifier()
	a, b := n.Receive(), n.Receive()
	require.False(t, closed(a), "nothing has happened yet")
	n.Notify()
	require.True(t, closed(a) && closed(b), "Notify must wake every waiter that took a channel before it")
	c := n.Receive()
	require.False(t, closed(c), "a channel taken after Notify waits for the next one")
	n.Notify()
	require.True(t, closed(c))
}
