package clientv3_test

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Close ends everything the client started: its connections, the balancer's, autoSync, and the
// calls still waiting; nothing is left running.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	tg := newTarget(t)
	before := goleak.IgnoreCurrent()
	cli, err := clientv3.New(clientv3.Config{Endpoints: tg.endpoints, AutoSyncInterval: 10 * time.Millisecond, Logger: discard()})
	require.NoError(t, err)
	_, err = cli.Put(ctxT(t), prefix(t)+"k", "v")
	require.NoError(t, err)
	_, err = cli.Status(ctxT(t), tg.endpoints[0])
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond) // let autoSync run a few times

	require.NoError(t, cli.Close())

	// A call that waits for a connection that will never come (WaitForReady) ends with Close.
	dead, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:1"}, Logger: discard()})
	require.NoError(t, err)
	waiting := make(chan error, 1)
	go func() {
		_, err := dead.Get(context.Background(), "k")
		waiting <- err
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, dead.Close())
	select {
	case err := <-waiting:
		require.Error(t, err, "a call cut off by Close fails")
	case <-time.After(5 * time.Second):
		t.Fatal("a call waiting for a connection should end when the client is closed")
	}
	goleak.VerifyNone(t, before)
	require.True(t, errors.Is(cli.Ctx().Err(), context.Canceled), "the client's context ends with Close")
}

func TestNewRefusesAConfigWithoutEndpoints(t *testing.T) {
	_, err := clientv3.New(clientv3.Config{})
	require.ErrorIs(t, err, clientv3.ErrNoAvailableEndpoints)
	_, err = clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:2379"}, MaxCallSendMsgSize: 10, MaxCallRecvMsgSize: 5})
	require.EqualError(t, err, "gRPC message recv limit (5 bytes) must be greater than send limit (10 bytes)")
}
