package clientv3_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"etcdwalk/chapters/03-propose-wait/cluster"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/transport"
	readindex "etcdwalk/chapters/04-linearizable-read/etcdserver"
	clientv3 "etcdwalk/chapters/05-client/client/v3"
	"etcdwalk/chapters/05-client/pkg/clientbench"
)

// envBenchEndpoints names the server the benchmarks load: comma-separated client URLs. `make
// bench` (interop/loadrun -client-bench) sets it to a three-process real etcd and runs these
// benchmarks and etcd's client's (interop/clientbench) against it, in turn. Without it the
// benchmarks start chapter 04's three members in this process, so that `go test -bench .` works
// as it is; allocs/op and cpu-ns/op then count the server's work too.
const envBenchEndpoints = "ETCDWALK_BENCH_ENDPOINTS"

// BenchmarkClient runs clientbench's loads through one client of this package, built as
// interop/clientbench builds etcd's.
func BenchmarkClient(b *testing.B) {
	var eps []string
	if env := os.Getenv(envBenchEndpoints); env != "" {
		eps = strings.Split(env, ",")
	} else {
		eps = benchCluster(b)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, Logger: discard()})
	if err != nil {
		b.Fatalf("clientv3.New(%v): %v", eps, err)
	}
	b.Cleanup(func() { cli.Close() })
	clientbench.Run(b, benchKV{cli})
}

// benchKV is the client behind clientbench.KV, with the options of each call made once.
type benchKV struct{ cli *clientv3.Client }

var serializable = []clientv3.OpOption{clientv3.WithSerializable()}

func (kv benchKV) Put(ctx context.Context, key, val string) error {
	_, err := kv.cli.Put(ctx, key, val)
	return err
}

func (kv benchKV) Get(ctx context.Context, key string, ser bool) ([]byte, error) {
	var opts []clientv3.OpOption
	if ser {
		opts = serializable
	}
	resp, err := kv.cli.Get(ctx, key, opts...)
	if err != nil || len(resp.Kvs) == 0 {
		return nil, err
	}
	return resp.Kvs[0].Value, nil
}

// benchCluster starts chapter 04's cluster, as its cmd/server does (etcd's default timing), on
// three free ports, waits until its members agree on a leader, and returns its client URLs.
func benchCluster(b *testing.B) []string {
	b.Helper()
	urls := clustertest.FreeURLs(b, 3)
	c, err := cluster.Start(cluster.Config{ClientURLs: urls, DataDir: b.TempDir(), Logger: discard(),
		Server: etcdserver.ServerConfig{Logger: discard()}},
		func(cfg etcdserver.ServerConfig, net transport.Joiner) (*readindex.EtcdServer, error) {
			return readindex.NewServer(cfg, net)
		})
	if err != nil {
		b.Fatalf("chapter 04's cluster should start on %v: %v", urls, err)
	}
	b.Cleanup(func() {
		if err := c.Stop(); err != nil {
			b.Errorf("stop chapter 04's cluster: %v", err)
		}
	})
	clustertest.Leader(b, c.Members)
	return urls
}
