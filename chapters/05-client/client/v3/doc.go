// Package clientv3 is a client of etcd's v3 API, built as etcd's own client/v3 is: Config, New,
// and a Client whose KV, Cluster and Maintenance share one gRPC connection balanced over every
// endpoint, with retries where they are safe. It works against every chapter's server and
// against real etcd alike.
//
// Layer: the client (chapter 05). Corresponds to etcd v3.6 client/v3: client.go (New,
// newClient, dial, SetEndpoints, Sync, autoSync, checkVersion), config.go, kv.go (KV, Do),
// op.go (Op, OpOption), txn.go, compare.go, sort.go, compact_op.go, retry.go (the retrying
// clients and the retry decision), retry_interceptor.go, options.go, ctx.go, cluster.go and
// maintenance.go (the calls our servers serve), and internal/resolver.
//
// # Using it
//
//	cli, err := clientv3.New(clientv3.Config{
//		Endpoints:   []string{"http://127.0.0.1:2379", "http://127.0.0.1:22379", "http://127.0.0.1:32379"},
//		DialTimeout: 5 * time.Second,
//	})
//	if err != nil { ... }
//	defer cli.Close()
//
//	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//	defer cancel()
//	_, err = cli.Put(ctx, "foo", "bar")
//	resp, err := cli.Get(ctx, "f", clientv3.WithPrefix())        // linearizable
//	resp, err = cli.Get(ctx, "foo", clientv3.WithSerializable())  // from the member's own store
//	tresp, err := cli.Txn(ctx).
//		If(clientv3.Compare(clientv3.Value("foo"), "=", "bar")).
//		Then(clientv3.OpPut("foo", "baz")).
//		Else(clientv3.OpGet("foo")).
//		Commit()
//
// Errors are etcd's: errors.Is(err, rpctypes.ErrCompacted), and the context's own error when
// the call's context ended.
//
// # The path of a call
//
// KV.Get builds an Op (OpGet and its options), and Do turns it into a RangeRequest and calls the
// retrying KVClient, which marks Range as repeatable. The call goes through gRPC's client conn:
// first the retry interceptor (unaryClientInterceptor), then the round_robin balancer, which
// gives the attempt the next ready connection among the endpoints the resolver gave it. A read
// that fails with Unavailable is sent again, after a backoff every quorum-th attempt; a write is
// sent again only if it never left the client.
//
// # Left out
//
// The Watch, Lease and Auth clients (the servers of these chapters serve none of them), TLS and
// authentication, membership changes (MemberAdd and the rest), Snapshot, HashKV, MoveLeader and
// Downgrade, the stream interceptor (there are no streams to retry), the learner special case of
// the retry decision, zap (the client logs with log/slog; its default logger prints warnings and
// above to stderr as JSON), and the deprecated grpc.DialContext (New uses grpc.NewClient, which
// does not block either).
package clientv3
