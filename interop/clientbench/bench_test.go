package clientbench_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"etcdwalk/chapters/05-client/pkg/clientbench"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// envBenchEndpoints is the server to load; chapter 05's client/v3/bench_test.go reads the same.
const envBenchEndpoints = "ETCDWALK_BENCH_ENDPOINTS"

// BenchmarkClient runs clientbench's loads through one client of etcd's, built with the options
// chapter 05's benchmark gives its own client.
func BenchmarkClient(b *testing.B) {
	env := os.Getenv(envBenchEndpoints)
	if env == "" {
		b.Fatalf("%s is not set: these benchmarks need a running etcd, comma-separated client URLs "+
			"(make bench starts one and sets it: go run ./interop/loadrun -client-bench)", envBenchEndpoints)
	}
	eps := strings.Split(env, ",")
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, Logger: zap.NewNop()})
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
