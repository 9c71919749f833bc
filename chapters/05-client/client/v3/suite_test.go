package clientv3_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/require"
)

// keys returns the keys of a Get, without the test's prefix.
func keys(p string, r *clientv3.GetResponse) []string {
	out := []string{}
	for _, kv := range r.Kvs {
		out = append(out, string(kv.Key[len(p):]))
	}
	return out
}

// Every Get option reaches the server as the RangeRequest field etcd's client sets, and the
// answer is the server's, under the client's types.
func TestSuiteGetOptions(t *testing.T) {
	tg := newTarget(t)
	cli := tg.client(t)
	ctx, p := ctxT(t), prefix(t)
	var revs []int64
	for _, kv := range [][2]string{{"b", "2"}, {"a", "3"}, {"c", "1"}, {"a", "4"}} {
		r, err := cli.Put(ctx, p+kv[0], kv[1])
		require.NoError(t, err)
		revs = append(revs, r.Header.Revision)
	}
	_, err := cli.Put(ctx, p[:len(p)-1]+"0", "outside the prefix")
	require.NoError(t, err)

	tests := []struct {
		name string
		key  string
		opts []clientv3.OpOption
		want []string
	}{
		{"one key", "a", nil, []string{"a"}},
		{"prefix", "", []clientv3.OpOption{clientv3.WithPrefix()}, []string{"a", "b", "c"}},
		{"range", "a", []clientv3.OpOption{clientv3.WithRange(p + "c")}, []string{"a", "b"}},
		{"from key", "b", []clientv3.OpOption{clientv3.WithFromKey(), clientv3.WithLimit(2)}, []string{"b", "c"}},
		{"limit", "", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithLimit(2)}, []string{"a", "b"}},
		{"sort by value", "", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByValue, clientv3.SortAscend)}, []string{"c", "b", "a"}},
		{"sort by key descending", "", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}, []string{"c", "b", "a"}},
		{"sort by create revision", "", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend)}, []string{"b", "a", "c"}},
		{"last created", "", clientv3.WithLastCreate(), []string{"c"}},
		{"at an old revision", "", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(revs[1])}, []string{"a", "b"}},
		{"min mod revision", "", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithMinModRev(revs[2])}, []string{"a", "c"}},
		{"max create revision", "", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithMaxCreateRev(revs[1])}, []string{"a", "b"}},
		{"serializable", "", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSerializable()}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := cli.Get(ctx, p+tt.key, tt.opts...)
			require.NoError(t, err)
			require.Equal(t, tt.want, keys(p, r))
		})
	}

	r, err := cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	require.NoError(t, err)
	require.Len(t, r.Kvs, 3)
	require.Empty(t, r.Kvs[0].Value, "keys only: no values")
	r, err = cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	require.Empty(t, r.Kvs, "count only: no keys")
	require.Equal(t, int64(3), r.Count)
	r, err = cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithLimit(1))
	require.NoError(t, err)
	require.True(t, r.More, "a limit below the count leaves More set")
	r, err = cli.Get(ctx, p+"a")
	require.NoError(t, err)
	require.Len(t, r.Kvs, 1)
	require.Equal(t, int64(2), r.Kvs[0].Version)
	require.Equal(t, revs[1], r.Kvs[0].CreateRevision)
	require.Equal(t, revs[3], r.Kvs[0].ModRevision)
}

func TestSuitePutAndDelete(t *testing.T) {
	tg := newTarget(t)
	cli := tg.client(t)
	ctx, p := ctxT(t), prefix(t)

	r, err := cli.Put(ctx, p+"k", "v1")
	require.NoError(t, err)
	require.Nil(t, r.PrevKv)
	r, err = cli.Put(ctx, p+"k", "v2", clientv3.WithPrevKV())
	require.NoError(t, err)
	require.Equal(t, "v1", string(r.PrevKv.Value), "WithPrevKV returns the value it replaced")
	_, err = cli.Put(ctx, p+"k", "", clientv3.WithIgnoreValue())
	require.NoError(t, err)
	g, err := cli.Get(ctx, p+"k")
	require.NoError(t, err)
	require.Len(t, g.Kvs, 1)
	require.Equal(t, "v2", string(g.Kvs[0].Value), "WithIgnoreValue keeps the value")
	require.Equal(t, int64(3), g.Kvs[0].Version)

	for _, k := range []string{"a", "b", "c"} {
		_, err := cli.Put(ctx, p+"d/"+k, k)
		require.NoError(t, err)
	}
	// A range, not WithFromKey: against a shared cluster, from d/b on would reach other tests' keys.
	d, err := cli.Delete(ctx, p+"d/b", clientv3.WithRange(p+"d0"), clientv3.WithPrevKV())
	require.NoError(t, err)
	require.Equal(t, int64(2), d.Deleted, "d/b and d/c")
	require.Len(t, d.PrevKvs, 2)
	d, err = cli.Delete(ctx, p+"d/", clientv3.WithPrefix())
	require.NoError(t, err)
	require.Equal(t, int64(1), d.Deleted)
	d, err = cli.Delete(ctx, p+"nothing")
	require.NoError(t, err)
	require.Zero(t, d.Deleted)
}

func TestSuiteTxn(t *testing.T) {
	tg := newTarget(t)
	cli := tg.client(t)
	ctx, p := ctxT(t), prefix(t)
	put, err := cli.Put(ctx, p+"k", "v")
	require.NoError(t, err)

	tests := []struct {
		name    string
		cmp     clientv3.Cmp
		succeed bool
	}{
		{"value equal", clientv3.Compare(clientv3.Value(p+"k"), "=", "v"), true},
		{"value not equal", clientv3.Compare(clientv3.Value(p+"k"), "!=", "v"), false},
		{"version greater", clientv3.Compare(clientv3.Version(p+"k"), ">", 0), true},
		{"create revision", clientv3.Compare(clientv3.CreateRevision(p+"k"), "=", put.Header.Revision), true},
		{"mod revision less", clientv3.Compare(clientv3.ModRevision(p+"k"), "<", put.Header.Revision), false},
		{"missing key has version 0", clientv3.Compare(clientv3.Version(p+"missing"), "=", 0), true},
		{"over a prefix", clientv3.Compare(clientv3.Version(p), ">", 0).WithPrefix(), true},
		{"over a range", clientv3.Compare(clientv3.Value(p+"a"), "=", "v").WithRange(p + "z"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := cli.Txn(ctx).If(tt.cmp).Then(clientv3.OpGet(p + "k")).Else(clientv3.OpGet(p + "missing")).Commit()
			require.NoError(t, err)
			require.Equal(t, tt.succeed, r.Succeeded)
			require.Len(t, r.Responses, 1)
			got := r.Responses[0].GetResponseRange()
			require.NotNil(t, got, "a Get in a Txn is answered by a ResponseRange")
			if tt.succeed {
				require.Len(t, got.Kvs, 1, "the Then branch ran")
			} else {
				require.Empty(t, got.Kvs, "the Else branch ran")
			}
		})
	}

	r, err := cli.Txn(ctx).Then(clientv3.OpPut(p+"t", "1"), clientv3.OpDelete(p+"k", clientv3.WithPrevKV())).Commit()
	require.NoError(t, err)
	require.True(t, r.Succeeded, "no comparison: Then")
	require.Len(t, r.Responses, 2)
	require.NotNil(t, r.Responses[1].GetResponseDeleteRange(), "a Delete in a Txn is answered by a ResponseDeleteRange")
	require.Len(t, r.Responses[1].GetResponseDeleteRange().PrevKvs, 1)
	require.Equal(t, "v", string(r.Responses[1].GetResponseDeleteRange().PrevKvs[0].Value))

	do, err := cli.Do(ctx, clientv3.OpTxn(nil, []clientv3.Op{clientv3.OpGet(p + "t")}, nil))
	require.NoError(t, err)
	require.Len(t, do.Txn().Responses, 1)
	got := do.Txn().Responses[0].GetResponseRange()
	require.NotNil(t, got, "Do sends an OpTxn as a Txn")
	require.Len(t, got.Kvs, 1)
	require.Equal(t, "1", string(got.Kvs[0].Value))

	_, err = cli.Txn(ctx).Then(clientv3.OpPut(p+"x", "1"), clientv3.OpPut(p+"x", "2")).Commit()
	require.ErrorIs(t, err, rpctypes.ErrDuplicateKey)
}

// The errors a caller gets are etcd's rpctypes errors, as clientv3 returns them, and the
// context's own error when the call's context ends.
func TestSuiteErrorsAreEtcds(t *testing.T) {
	tg := newTarget(t)
	cli := tg.client(t)
	ctx, p := ctxT(t), prefix(t)
	var rev int64
	for i := range 3 {
		r, err := cli.Put(ctx, p+"k", fmt.Sprint(i))
		require.NoError(t, err)
		rev = r.Header.Revision
	}
	_, err := cli.Compact(ctx, rev)
	require.NoError(t, err)

	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"empty key", func() error { _, err := cli.Put(ctx, "", "v"); return err }, rpctypes.ErrEmptyKey},
		{"compacted revision", func() error { _, err := cli.Get(ctx, p+"k", clientv3.WithRev(rev-1)); return err }, rpctypes.ErrCompacted},
		{"future revision", func() error { _, err := cli.Get(ctx, p+"k", clientv3.WithRev(rev+1000000)); return err }, rpctypes.ErrFutureRev},
		{"compact again", func() error { _, err := cli.Compact(ctx, rev-1); return err }, rpctypes.ErrCompacted},
		{"lease", func() error { _, err := cli.Put(ctx, p+"k", "v", clientv3.WithLease(42)); return err }, rpctypes.ErrLeaseNotFound},
		{"invalid sort", func() error {
			_, err := cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortTarget(99), clientv3.SortAscend))
			return err
		}, rpctypes.ErrInvalidSortOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.ErrorIs(t, err, tt.want)
			var etcdErr rpctypes.EtcdError
			require.True(t, errors.As(err, &etcdErr), "an etcd error comes back as an rpctypes.EtcdError, not a gRPC status")
		})
	}

	expired, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-expired.Done()
	_, err = cli.Get(expired, p+"k")
	require.ErrorIs(t, err, context.DeadlineExceeded, "a call whose context ended returns the context's error")
}

func TestSuiteMemberListAndStatus(t *testing.T) {
	tg := newTarget(t)
	cli := tg.client(t)
	ctx := ctxT(t)
	for _, opts := range [][]clientv3.OpOption{nil, {clientv3.WithSerializable()}} {
		ml, err := cli.MemberList(ctx, opts...)
		require.NoError(t, err)
		require.Len(t, ml.Members, len(tg.endpoints))
		var urls []string
		for _, m := range ml.Members {
			urls = append(urls, m.ClientURLs...)
		}
		require.ElementsMatch(t, tg.endpoints, urls, "every member lists its client URL")
	}
	lead := tg.leader(t, cli)
	for i, ep := range tg.endpoints {
		st, err := cli.Status(ctx, ep)
		require.NoError(t, err)
		require.Regexp(t, `^3\.6\.`, st.Version)
		require.Equal(t, i == lead, st.Header.MemberId == st.Leader, "Status goes to the endpoint named, not through the balancer")
	}
	al, err := cli.AlarmList(ctx)
	require.NoError(t, err)
	require.Empty(t, al.Alarms)
}

// New with RejectOldCluster asks every member its version: 3.6 passes.
func TestSuiteRejectOldClusterAcceptsThisCluster(t *testing.T) {
	tg := newTarget(t)
	cli := tg.client(t, func(c *clientv3.Config) { c.RejectOldCluster = true })
	_, err := cli.Get(ctxT(t), "k")
	require.NoError(t, err)
}

// Sync takes the endpoints from MemberList, so a client given one member finds the others; with
// AutoSyncInterval it does so by itself.
func TestSuiteSyncFindsEveryMember(t *testing.T) {
	tg := newTarget(t)
	cli := tg.client(t, func(c *clientv3.Config) { c.Endpoints = tg.endpoints[:1] })
	require.Equal(t, tg.endpoints[:1], cli.Endpoints())
	require.NoError(t, cli.Sync(ctxT(t)))
	require.ElementsMatch(t, tg.endpoints, cli.Endpoints())

	auto := tg.client(t, func(c *clientv3.Config) {
		c.Endpoints, c.AutoSyncInterval = tg.endpoints[1:2], 20*time.Millisecond
	})
	require.Eventually(t, func() bool { return len(auto.Endpoints()) == len(tg.endpoints) }, 5*time.Second, 10*time.Millisecond,
		"autoSync should replace the endpoints with the cluster's")

	cli.SetEndpoints(tg.endpoints[2])
	r, err := cli.Get(ctxT(t), "k", clientv3.WithSerializable())
	require.NoError(t, err)
	st, err := cli.Status(ctxT(t), tg.endpoints[2])
	require.NoError(t, err)
	require.Equal(t, st.Header.MemberId, r.Header.MemberId, "after SetEndpoints, calls go to the new endpoints only")
}

// Round robin: calls go to every member in turn, not all to the first. (The balancer uses a
// member once its connection is up, so the first calls after New may miss one: the test looks
// at 30 calls at a time until the connections are up.)
func TestRoundRobinSpreadsCallsOverEveryMember(t *testing.T) {
	tg := newTarget(t)
	cli := tg.client(t)
	var served map[uint64]int
	spread := func() bool {
		served = map[uint64]int{}
		for range 30 {
			r, err := cli.Get(ctxT(t), "k", clientv3.WithSerializable())
			if err != nil {
				return false
			}
			served[r.Header.MemberId]++
		}
		if len(served) < len(tg.endpoints) {
			return false
		}
		for _, n := range served {
			if n < 5 {
				return false
			}
		}
		return true
	}
	require.Eventually(t, spread, 5*time.Second, 10*time.Millisecond,
		"30 calls should be spread over all %d members: give gRPC one resolver.Endpoint per endpoint and the round_robin service config", len(tg.endpoints))
}
