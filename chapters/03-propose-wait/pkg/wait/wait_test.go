package wait

import (
	"sync"
	"testing"

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
	require.Equal(t, "result", <-ch, "the waiter of 1 gets what was triggered for 1")
	require.False(t, w.IsRegistered(1), "a triggered ID is forgotten")
	_, open := <-ch
	require.False(t, open, "and its channel closed")
	require.True(t, w.IsRegistered(2), "other IDs are untouched")
	w.Trigger(2, nil) // giving up: nil, as etcd's processInternalRaftRequestOnce does
	require.Nil(t, <-other)
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
		require.Equal(t, i, <-chans[i], "request %d gets its own result", i)
	}
	wg.Wait()
	for i := range n {
		require.False(t, w.IsRegistered(uint64(i)), "no registration is left behind")
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
