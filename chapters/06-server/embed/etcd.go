package embed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3rpc"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	"etcdwalk/chapters/02-kvserver/storage/datadir"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	readindex "etcdwalk/chapters/04-linearizable-read/etcdserver"
	snapshots "etcdwalk/chapters/06-server/etcdserver"
	"etcdwalk/chapters/06-server/etcdserver/api/rafthttp"
	"etcdwalk/chapters/06-server/etcdserver/api/snap"
	"etcdwalk/chapters/06-server/storage"
	"etcdwalk/chapters/06-server/storage/wal"

	"google.golang.org/grpc"
)

// Etcd is one running member: its peer listeners (raft messages from the other members), its
// client listeners (gRPC), and the server (etcd's embed.Etcd).
type Etcd struct {
	Peers   []net.Listener
	Clients []net.Listener
	Server  *readindex.EtcdServer

	cfg      Config
	lg       *slog.Logger
	tr       *rafthttp.Transport
	peerSrvs []*http.Server
	grpc     *grpc.Server
	errc     chan error

	stopPublish context.CancelFunc
	published   chan struct{}

	closeOnce sync.Once
}

// StartEtcd starts a member as etcd's embed.StartEtcd does: validate the configuration (and, for
// a member with no WAL yet, the initial cluster), listen on the peer URLs and the client URLs,
// build the server on chapter 03's seams (this chapter's WAL storage and HTTP transport, chapter
// 04's linearizable reads), serve the peers, start the server, and serve the clients. A start
// that fails at any step closes what it had opened: a member never half-starts.
func StartEtcd(inCfg *Config) (e *Etcd, err error) {
	if err := inCfg.Validate(); err != nil {
		return nil, err
	}
	if !wal.Exist(inCfg.WALDir()) {
		if err := inCfg.VerifyBootstrap(); err != nil {
			return nil, err
		}
	}
	srvcfg, err := inCfg.ServerConfig()
	if err != nil {
		return nil, err
	}
	e = &Etcd{cfg: *inCfg, lg: srvcfg.Logger, errc: make(chan error, 1)}
	defer func() {
		if err != nil {
			e.Close()
			e = nil
		}
	}()

	if e.Peers, err = listenAll(inCfg.ListenPeerUrls); err != nil {
		return e, err
	}
	if e.Clients, err = listenAll(inCfg.ListenClientUrls); err != nil {
		return e, err
	}

	_, clusterID, err := inCfg.InitialMembers()
	if err != nil {
		return e, err
	}
	snapshotter := snap.New(e.lg, storageSnapDir(srvcfg))
	e.tr = &rafthttp.Transport{Logger: e.lg, ClusterID: clusterID, URLs: URLStrings(inCfg.AdvertisePeerUrls), Snapshotter: snapshotter}
	for _, m := range srvcfg.Members {
		if m.Name != srvcfg.Name {
			if err := e.tr.AddPeer(m.ID, m.PeerURLs); err != nil {
				return e, err
			}
		}
	}
	e.Server, err = readindex.NewServer(srvcfg, e.tr,
		etcdserver.WithStorage(storage.Opener(e.lg, inCfg.WALDir())),
		// The WAL makes each entry durable before it is applied: bbolt can commit as etcd's does.
		etcdserver.WithBackendBatching(backend.DefaultBatchInterval, backend.DefaultBatchLimit),
		etcdserver.WithSnapshots(&snapshots.Snapshots{
			Snapshotter: snapshotter, Transport: e.tr,
			SnapshotCount: inCfg.SnapshotCount, SnapshotCatchUpEntries: inCfg.SnapshotCatchUpEntries,
		}))
	if err != nil {
		return e, err
	}

	for _, ln := range e.Peers {
		srv := &http.Server{Handler: e.tr.Handler(), ReadHeaderTimeout: 5 * time.Second}
		e.peerSrvs = append(e.peerSrvs, srv)
		go func() { e.serveErr(srv.Serve(ln)) }()
	}
	e.Server.Start()
	// A member whose WAL or backend fails stops on its own; the process must not go on serving
	// errors as if nothing happened (etcd exits there).
	go func() {
		<-e.Server.StopNotify()
		if err := e.Server.Err(); err != nil {
			e.serveErr(fmt.Errorf("etcdserver stopped: %w", err))
		}
	}()

	e.grpc = v3rpc.Server(e.Server, false, e.lg)
	go func() {
		for err := range serve.Serve(e.grpc, e.Clients) {
			e.serveErr(err)
		}
	}()
	// The member publishes where it serves clients, through raft, and is ready once that is
	// applied (etcd's publishV3 and ReadyNotify, which its serve waits for before it logs the
	// line below). That needs a quorum, so it waits in the background: a new cluster's members
	// start one after another.
	ctx, cancel := context.WithCancel(context.Background())
	e.stopPublish = cancel
	e.published = make(chan struct{})
	go func() {
		defer close(e.published)
		if err := e.Server.Publish(ctx, URLStrings(inCfg.AdvertiseClientUrls)); err != nil {
			return // stopped first
		}
		e.lg.Info("ready to serve client requests", "name", srvcfg.Name, "id", fmt.Sprintf("%x", e.Server.ID()),
			"cluster-id", fmt.Sprintf("%x", clusterID), "client-urls", URLStrings(inCfg.AdvertiseClientUrls))
	}()
	return e, nil
}

// ReadyNotify is closed once the member has published its client URLs to the cluster and serves
// (etcd's EtcdServer.ReadyNotify), or has stopped trying.
func (e *Etcd) ReadyNotify() <-chan struct{} { return e.published }

// storageSnapDir is where the member's snapshots go: the snapshotter the transport saves
// incoming snapshot dbs with must be the storage's.
func storageSnapDir(cfg etcdserver.ServerConfig) string { return datadir.ToSnapDir(cfg.DataDir) }

func listenAll(urls []url.URL) ([]net.Listener, error) {
	hosts := make([]string, 0, len(urls))
	for _, u := range urls {
		hosts = append(hosts, u.Host)
	}
	return serve.Listen(hosts)
}

// serveErr keeps the first error of a listener that failed, for Err.
func (e *Etcd) serveErr(err error) {
	if err == nil || errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return
	}
	select {
	case e.errc <- err:
	default:
	}
}

// Err yields the first error of a peer or client listener that stopped serving, or of the server
// if it stopped on its own (a failed WAL fsync or backend commit).
func (e *Etcd) Err() <-chan error { return e.errc }

// Close stops the member as etcd's Etcd.Close does: the client gRPC server first (requests in
// flight get up to 5 s), then the server (which stops raft and the transport), then the peer
// listeners. It may be called more than once.
func (e *Etcd) Close() {
	e.closeOnce.Do(func() {
		if e.stopPublish != nil {
			e.stopPublish()
			<-e.published
		}
		if e.grpc != nil {
			stopped := make(chan struct{})
			go func() { e.grpc.GracefulStop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(5 * time.Second):
				e.grpc.Stop()
			}
		}
		if e.Server != nil {
			if err := e.Server.Stop(); err != nil {
				e.lg.Warn("stopping the server", "error", err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, srv := range e.peerSrvs {
			_ = srv.Shutdown(ctx)
		}
		for _, ln := range append(e.Peers, e.Clients...) {
			ln.Close()
		}
	})
}
