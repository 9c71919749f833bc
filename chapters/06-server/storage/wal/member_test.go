package wal_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "etcdwalk/chapters/05-client/client/v3"
	"etcdwalk/chapters/06-server/embed"
	"etcdwalk/chapters/06-server/storage/wal"

	"github.com/stretchr/testify/require"
)

func freeURL(t *testing.T) url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// TestWALFsyncFailureStopsTheMember: a failed WAL fsync is fatal, not silent. The write whose
// entry could not be made durable is not acknowledged, the member stops, and the process hears
// why (Etcd.Err, on which etcdwalk exits with status 1).
func TestWALFsyncFailureStopsTheMember(t *testing.T) {
	var failing atomic.Bool
	errDisk := errors.New("injected: disk gone")
	t.Cleanup(wal.SetSyncFunc(func(f *os.File) error {
		if failing.Load() {
			return errDisk
		}
		return f.Sync()
	}))

	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "m1", t.TempDir()
	peer, client := freeURL(t), freeURL(t)
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.InitialCluster = "m1=" + peer.String()
	cfg.TickMs, cfg.ElectionMs = 10, 100
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := embed.StartEtcd(cfg)
	require.NoError(t, err)
	defer e.Close()

	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{client.String()}, DialTimeout: 5 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, "before", "1")
	require.NoError(t, err)

	failing.Store(true)
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	_, err = cli.Put(pctx, "after", "2")
	pcancel()
	require.Error(t, err, "a put whose WAL fsync failed must not be acknowledged")

	select {
	case err := <-e.Err():
		require.ErrorIs(t, err, errDisk, "the member says that it stopped because the fsync failed")
	case <-time.After(10 * time.Second):
		t.Fatal("the member went on after its WAL fsync failed: Etcd.Err said nothing")
	}
	select {
	case <-e.Server.StopNotify():
	default:
		t.Fatal("the member still runs after a failed WAL fsync")
	}
}
