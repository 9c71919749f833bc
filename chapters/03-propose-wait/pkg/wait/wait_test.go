package wait

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestWaitDeliversToTheRegisteredID(t *testing.T) {
	w := New()
	require.NotNil(t, w, "New must return a registry")
	ch := w.Register(1)
	other := w.Register(2)
	require.True(t, w.IsRegistered(1))
	w.Trigger(1, "result")
	got, _ := receive(t, ch, "the waiter of 1")
	require.Equal(t, "result", got, "the waiter of 1 gets what was triggered for 1")
	require.False(t, w.IsRegistered(1), "a triggered ID is forgotten")
	_, open := receive(t, ch, "the second receive of 1")
	require.False(t, open, "and its channel closed")
	require.True(t, w.IsRegistered(2), "other IDs are untouched")
	w.Trigger(2, nil) // giving up: nil, as etcd's processInternalRaftRequestOnce does
	got, _ = receive(t, other, "the waiter of 2")
	require.Nil(t, got)
}

// receive waits for what ch delivers. A Trigger that never delivers must fail the test, not hang
// it until go test's timeout.
func receive(t *testing.T, ch <-chan any, who string) (any, bool) {
	t.Helper()
	select {
	case x, ok := <-ch:
		return x, ok
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing arrived within 5 s: does Trigger send the result on the channel Register returned, and close it?", who)
		return nil, false
	}
}

func TestWaitTriggerWithoutWaiterIsIgnored(t *testing.T) {
	w := New()
	require.NotNil(t, w)
	require.NotPanics(t, func() { w.Trigger(42, "nobody") }, "the apply loop triggers IDs registered on other members")
	require.False(t, w.IsRegistered(42))
}

func TestWaitDuplicateRegistrationPanics(t *testing.T) {
	w := New()
	require.NotNil(t, w)
	w.Register(7)
	require.Panics(t, func() { w.Register(7) }, "two requests with one ID would steal each other's results")
}

func TestWaitManyConcurrentRequests(t *testing.T) {
	w := New()
	require.NotNil(t, w)
	const n = 2000
	var wg sync.WaitGroup
	chans := make([]<-chan any, n)
	for i := range n {
		chans[i] = w.Register(uint64(i))
	}
	for i := range n {
		wg.Go(func() { w.Trigger(uint64(i), i) })
	}
	for i := range n {
		got, _ := receive(t, chans[i], fmt.Sprintf("request %d", i))
		require.Equal(t, i, got, "request %d gets its own result", i)
	}
	wg.Wait()
	for i := range n {
		require.False(t, w.IsRegistered(uint64(i)), "no registration is left behind")
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
