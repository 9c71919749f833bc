package interop_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// ch01Server is chapter 01's server, built from the workspace; it runs with the race detector so
// that the interop tests double as a race test of the server.
const ch01Server = "etcdwalk/chapters/01-rpc/cmd/server"

// requestTimeout bounds every single request the tests send.
const requestTimeout = 10 * time.Second

func TestMain(m *testing.M) { harness.Main(m) }

// startCh01 starts a fresh real etcd and a fresh chapter 01 server. Both begin at revision 1 with
// no keys, so the same requests must produce the same revisions on both.
func startCh01(t *testing.T) (etcd, ours *harness.Process) {
	t.Helper()
	bin := harness.Build(t, ch01Server, true)
	etcd = harness.StartEtcd(t)
	// --trace makes a failed test's log show the requests our server handled last.
	ours = harness.StartServer(t, bin, "--name", "ch01", "--trace")
	return etcd, ours
}

func ctxWithTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// A kvStep is one operation of a sequence sent through clientv3 to both servers. rev is the
// revision of real etcd's previous response, for steps that read at "the current revision".
type kvStep struct {
	name string
	do   func(ctx context.Context, kv clientv3.KV, rev int64) (protoadapt.MessageV1, error)
}

func put(key, val string, opts ...clientv3.OpOption) func(context.Context, clientv3.KV, int64) (protoadapt.MessageV1, error) {
	return func(ctx context.Context, kv clientv3.KV, _ int64) (protoadapt.MessageV1, error) {
		resp, err := kv.Put(ctx, key, val, opts...)
		return (*pb.PutResponse)(resp), err
	}
}

func get(key string, opts ...clientv3.OpOption) func(context.Context, clientv3.KV, int64) (protoadapt.MessageV1, error) {
	return func(ctx context.Context, kv clientv3.KV, _ int64) (protoadapt.MessageV1, error) {
		resp, err := kv.Get(ctx, key, opts...)
		return (*pb.RangeResponse)(resp), err
	}
}

func del(key string, opts ...clientv3.OpOption) func(context.Context, clientv3.KV, int64) (protoadapt.MessageV1, error) {
	return func(ctx context.Context, kv clientv3.KV, _ int64) (protoadapt.MessageV1, error) {
		resp, err := kv.Delete(ctx, key, opts...)
		return (*pb.DeleteRangeResponse)(resp), err
	}
}

func txn(cmps []clientv3.Cmp, thenOps, elseOps []clientv3.Op) func(context.Context, clientv3.KV, int64) (protoadapt.MessageV1, error) {
	return func(ctx context.Context, kv clientv3.KV, _ int64) (protoadapt.MessageV1, error) {
		resp, err := kv.Txn(ctx).If(cmps...).Then(thenOps...).Else(elseOps...).Commit()
		return (*pb.TxnResponse)(resp), err
	}
}

func cmps(c ...clientv3.Cmp) []clientv3.Cmp { return c }
func ops(o ...clientv3.Op) []clientv3.Op    { return o }

// headerRevision is the revision in a response's header, or 0 if it has none.
func headerRevision(m protoadapt.MessageV1) int64 {
	if h, ok := m.(interface{ GetHeader() *pb.ResponseHeader }); ok {
		return h.GetHeader().GetRevision()
	}
	return 0
}

// TestChapter01OfficialClient sends one sequence of puts, gets, deletes and txns through the
// official client to real etcd and to our server, step by step, and requires the same answer to
// every step: the same keys, values, versions, revisions, counts and flags; or the same error.
func TestChapter01OfficialClient(t *testing.T) {
	t.Parallel()
	etcd, ours := startCh01(t)
	etcdKV := harness.NewClient(t, etcd.Endpoint)
	oursKV := harness.NewClient(t, ours.Endpoint)

	prefix, fromKey := clientv3.WithPrefix(), clientv3.WithFromKey()
	steps := []kvStep{
		// Writes. Values are chosen so that sorting by value, key, version and revision give
		// different orders.
		{"put foo", put("foo", "bar")},
		{"overwrite foo, asking for the previous pair", put("foo", "bar2", clientv3.WithPrevKV())},
		{"put foo/a", put("foo/a", "3")},
		{"put foo/b", put("foo/b", "1")},
		{"put fop", put("fop", "2")},
		{"put g", put("g", "z")},
		{"put a", put("a", "w")},
		{"overwrite foo/b", put("foo/b", "4")},
		{"put with ignore_value on a missing key", put("nope", "", clientv3.WithIgnoreValue())},
		{"put with ignore_value on foo keeps its value", put("foo", "", clientv3.WithIgnoreValue(), clientv3.WithPrevKV())},
		{"put with ignore_lease on foo", put("foo", "bar3", clientv3.WithIgnoreLease())},

		// Reads.
		{"get one key", get("foo")},
		{"get a missing key", get("missing")},
		{"get a prefix", get("foo", prefix)},
		{"get from a key on", get("foo/", fromKey)},
		{"get everything", get("", fromKey)},
		{"get a range [foo, fop)", get("foo", clientv3.WithRange("fop"))},
		{"get an empty range", get("zz", clientv3.WithRange("zzz"))},
		{"get with a limit", get("f", prefix, clientv3.WithLimit(2))},
		{"get with a limit larger than the range", get("f", prefix, clientv3.WithLimit(10))},
		{"sort by value ascending", get("f", prefix, clientv3.WithSort(clientv3.SortByValue, clientv3.SortAscend))},
		{"sort by key descending", get("f", prefix, clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))},
		{"sort by mod revision descending", get("", fromKey, clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortDescend))},
		{"sort by create revision descending", get("", fromKey, clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend))},
		{"sort by version descending", get("", fromKey, clientv3.WithSort(clientv3.SortByVersion, clientv3.SortDescend))},
		{"sort by value descending, then limit", get("", fromKey, clientv3.WithSort(clientv3.SortByValue, clientv3.SortDescend), clientv3.WithLimit(2))},
		{"sort by value with no order means ascending", get("f", prefix, clientv3.WithSort(clientv3.SortByValue, clientv3.SortNone))},
		{"sort by value with no order, with a limit", get("f", prefix, clientv3.WithSort(clientv3.SortByValue, clientv3.SortNone), clientv3.WithLimit(2))},
		{"keys only", get("f", prefix, clientv3.WithKeysOnly())},
		{"count only", get("f", prefix, clientv3.WithCountOnly())},
		{"count only with a limit", get("f", prefix, clientv3.WithCountOnly(), clientv3.WithLimit(1))},
		{"keys only with a limit", get("", fromKey, clientv3.WithKeysOnly(), clientv3.WithLimit(3))},
		{"min mod revision", get("", fromKey, clientv3.WithMinModRev(5))},
		{"max create revision, with a limit", get("", fromKey, clientv3.WithMaxCreateRev(4), clientv3.WithLimit(1))},
		{"max mod revision and min create revision", get("", fromKey, clientv3.WithMaxModRev(9), clientv3.WithMinCreateRev(3))},
		{"a range whose end is before its key", get("g", clientv3.WithRange("a"))},
		{"serializable get", get("foo", prefix, clientv3.WithSerializable())},
		{"get at the current revision", func(ctx context.Context, kv clientv3.KV, rev int64) (protoadapt.MessageV1, error) {
			return get("f", prefix, clientv3.WithRev(rev))(ctx, kv, rev)
		}},

		// Deletes.
		{"delete a missing key", del("missing")},
		{"delete one key", del("fop")},
		{"delete a prefix, asking for the deleted pairs", del("foo/", prefix, clientv3.WithPrevKV())},

		// Txns, one per kind of comparison, and both branches.
		{"txn: value equal, then put and get", txn(
			cmps(clientv3.Compare(clientv3.Value("g"), "=", "z")),
			ops(clientv3.OpPut("h", "1"), clientv3.OpGet("g")),
			ops(clientv3.OpPut("h", "2")))},
		{"txn: value not equal fails, else branch", txn(
			cmps(clientv3.Compare(clientv3.Value("g"), "!=", "z")),
			ops(clientv3.OpPut("x", "then")),
			ops(clientv3.OpGet("h"), clientv3.OpPut("x", "else")))},
		{"txn: value greater than", txn(
			cmps(clientv3.Compare(clientv3.Value("g"), ">", "a")),
			ops(clientv3.OpGet("g", clientv3.WithKeysOnly())), nil)},
		{"txn: version greater than 0, then delete with prev kv", txn(
			cmps(clientv3.Compare(clientv3.Version("g"), ">", 0)),
			ops(clientv3.OpDelete("a", clientv3.WithPrevKV()), clientv3.OpGet("a")), nil)},
		{"txn: version of a missing key equals 0", txn(
			cmps(clientv3.Compare(clientv3.Version("missing"), "=", 0)),
			ops(clientv3.OpPut("created", "yes")), ops(clientv3.OpPut("created", "no")))},
		{"txn: create revision equals 0 fails for an existing key", txn(
			cmps(clientv3.Compare(clientv3.CreateRevision("h"), "=", 0)),
			ops(clientv3.OpPut("h", "new")),
			ops(clientv3.OpGet("h"), clientv3.OpPut("h", "again", clientv3.WithPrevKV())))},
		{"txn: create revision less than", txn(
			cmps(clientv3.Compare(clientv3.CreateRevision("g"), "<", 100)),
			ops(clientv3.OpGet("g")), nil)},
		{"txn: mod revision", func(ctx context.Context, kv clientv3.KV, rev int64) (protoadapt.MessageV1, error) {
			return txn(
				cmps(clientv3.Compare(clientv3.ModRevision("h"), "=", rev)),
				ops(clientv3.OpPut("modrev", "matched")),
				ops(clientv3.OpPut("modrev", "missed")))(ctx, kv, rev)
		}},
		{"txn: several comparisons, one false", txn(
			cmps(clientv3.Compare(clientv3.Value("g"), "=", "z"), clientv3.Compare(clientv3.Version("h"), "<", 1)),
			ops(clientv3.OpPut("both", "then")), ops(clientv3.OpPut("both", "else")))},
		{"txn: value of a missing key is never equal", txn(
			cmps(clientv3.Compare(clientv3.Value("missing"), "=", "")),
			ops(clientv3.OpPut("missing-value", "then")), ops(clientv3.OpPut("missing-value", "else")))},
		{"txn: comparison over a prefix", txn(
			cmps(clientv3.Compare(clientv3.Version("modrev").WithPrefix(), ">", 0)),
			ops(clientv3.OpGet("modrev", clientv3.WithPrefix())), nil)},
		{"txn: comparison from a key on", txn(
			cmps(clientv3.Compare(clientv3.CreateRevision("g").WithRange("\x00"), ">", 0)),
			ops(clientv3.OpGet("g")), ops(clientv3.OpGet("h")))},
		{"txn: lease comparison", txn(
			cmps(clientv3.Compare(clientv3.LeaseValue("g"), "=", clientv3.NoLease)),
			ops(clientv3.OpGet("", clientv3.WithFromKey(), clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortDescend), clientv3.WithLimit(2))), nil)},
		{"txn: empty", txn(nil, nil, nil)},
		{"txn: reads see the txn's own writes", txn(nil,
			ops(clientv3.OpPut("k1", "v1"), clientv3.OpGet("k1"), clientv3.OpDelete("g"), clientv3.OpGet("", clientv3.WithFromKey(), clientv3.WithCountOnly())), nil)},
		{"txn: delete overlapping ranges twice", txn(nil,
			ops(clientv3.OpDelete("k", clientv3.WithPrefix()), clientv3.OpDelete("k1")), nil)},
		{"txn: only reads", txn(nil, ops(clientv3.OpGet("h"), clientv3.OpGet("x")), nil)},

		{"delete from a key on", del("x", fromKey, clientv3.WithPrevKV())},
		{"final state", get("", fromKey)},
	}

	var rev int64
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			ctx := ctxWithTimeout(t)
			want, wantErr := step.do(ctx, etcdKV.KV, rev)
			got, gotErr := step.do(ctx, oursKV.KV, rev)
			if wantErr != nil {
				require.Error(t, gotErr, "real etcd refused this with %q; our server should too", wantErr)
				assert.Equal(t, wantErr.Error(), gotErr.Error(), "our server should refuse with real etcd's error")
				return
			}
			require.NoError(t, gotErr, "real etcd accepted this; our server should too")
			rev = headerRevision(want)
			diff := harness.Diff(harness.NormalizeHeaders(want), harness.NormalizeHeaders(got))
			if diff != "" {
				t.Errorf("our response should equal real etcd's, apart from cluster/member IDs and raft term (-etcd +ours):\n%s", diff)
			}
		})
	}
}

// An etcdctlStep is one etcdctl command, run against real etcd and then our server.
type etcdctlStep struct {
	args  []string // "{rev}" is replaced by the revision of real etcd's last -w json answer
	stdin string
	// want is the exact output, for the commands of the chapter's acceptance transcript. Every
	// step must also print exactly what real etcd's etcdctl printed.
	want string
}

// TestChapter01Etcdctl is the chapter's acceptance transcript, run with the real etcdctl against
// real etcd and against our server: stdout, stderr and exit status must be the same for both.
func TestChapter01Etcdctl(t *testing.T) {
	t.Parallel()
	etcd, ours := startCh01(t)

	steps := []etcdctlStep{
		// The acceptance transcript.
		{args: []string{"put", "foo", "bar"}, want: "OK\n"},
		{args: []string{"get", "foo"}, want: "foo\nbar\n"},
		{args: []string{"get", "--prefix", "f"}, want: "foo\nbar\n"},
		{args: []string{"del", "foo"}, want: "1\n"},
		// More of what chapter 01 supports.
		{args: []string{"put", "foo2", "baz"}, want: "OK\n"},
		{args: []string{"get", "--prefix", "f", "-w", "json"}},
		{args: []string{"get", "foo2", "--rev={rev}"}},
		{args: []string{"txn"}, stdin: "value(\"foo2\") = \"baz\"\n\nput foo3 x\n\nput foo4 y\n\n"},
		{args: []string{"txn"}, stdin: "mod(\"foo2\") > \"1000\"\n\nput foo5 then\n\nget foo2\nput foo5 else\n\n"},
		{args: []string{"get", "--prefix", "foo", "--keys-only"}},
		{args: []string{"get", "", "--from-key", "--sort-by=VALUE", "--order=DESCEND", "--limit=2"}},
		{args: []string{"get", "--prefix", "foo", "--count-only", "-w", "fields"}},
		{args: []string{"get", "foo3", "--print-value-only"}},
		{args: []string{"put", "foo3", "--ignore-value"}},
		{args: []string{"put", "nokey", "--ignore-value"}},
		{args: []string{"put", "foo3", "z", "--lease=1234"}},
		{args: []string{"get", "foo3", "-w", "fields"}},
		{args: []string{"del", "--prefix", "foo", "--prev-kv"}},
		{args: []string{"get", "", "--from-key", "-w", "json"}},
	}
	// Left out on purpose: `get KEY --rev=R` with R below the current revision (etcd returns the
	// old value, chapter 01 keeps no history and answers "compacted"), `compaction` (Unimplemented
	// until chapter 02), `member list` and `endpoint status` (they print the member's own IDs and
	// sizes, which differ between any two clusters).

	var rev string
	for i, step := range steps {
		args := make([]string, len(step.args))
		for j, a := range step.args {
			args[j] = strings.ReplaceAll(a, "{rev}", rev)
		}
		cmdline := "etcdctl " + strings.Join(args, " ")
		if step.stdin != "" {
			cmdline += fmt.Sprintf(" <<< %q", step.stdin)
		}
		t.Run(fmt.Sprintf("%02d %s", i+1, strings.Join(args, " ")), func(t *testing.T) {
			wantOut, wantErr, wantCode := harness.Etcdctl(t, etcd.Endpoint, step.stdin, args...)
			gotOut, gotErr, gotCode := harness.Etcdctl(t, ours.Endpoint, step.stdin, args...)
			if step.want != "" {
				require.Equal(t, step.want, wantOut, "%s against real etcd: the transcript is wrong, or etcdctl changed", cmdline)
				assert.Equal(t, step.want, gotOut, "%s against our server should print this (stderr: %s)", cmdline, gotErr)
			}
			switch writeOut(args) {
			case "fields":
				wantOut, gotOut = harness.NormalizeFields(wantOut), harness.NormalizeFields(gotOut)
			case "json":
				var err error
				wantOut, err = harness.NormalizeJSON(wantOut)
				require.NoError(t, err, "%s against real etcd", cmdline)
				rev = jsonRevision(t, wantOut)
				gotOut, err = harness.NormalizeJSON(gotOut)
				require.NoError(t, err, "%s against our server should print JSON", cmdline)
			}
			assert.Equal(t, wantCode, gotCode, "%s: exit status (stderr from ours: %s)", cmdline, gotErr)
			assert.Equal(t, wantOut, gotOut, "%s: our server's output (+) should equal real etcd's (-)", cmdline)
			assert.Equal(t, wantErr, gotErr, "%s: our server's errors (+) should equal real etcd's (-)", cmdline)
		})
	}
}

// writeOut is the output format args ask for with -w / --write-out ("simple" by default).
func writeOut(args []string) string {
	for i, a := range args {
		if (a == "-w" || a == "--write-out") && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--write-out="); ok {
			return v
		}
		if v, ok := strings.CutPrefix(a, "-w="); ok {
			return v
		}
	}
	return "simple"
}

// jsonRevision picks header.revision out of NormalizeJSON's output.
func jsonRevision(t *testing.T, normalized string) string {
	_, after, ok := strings.Cut(normalized, `"revision": `)
	require.True(t, ok, "etcdctl -w json should print a header revision:\n%s", normalized)
	n, _, _ := strings.Cut(after, "\n")
	n = strings.TrimSuffix(n, ",")
	_, err := strconv.ParseInt(n, 10, 64)
	require.NoError(t, err, "header revision in:\n%s", normalized)
	return n
}

// A badRequest is sent with etcd's own generated KVClient, over a plain gRPC connection, so that
// the server's status code and message arrive untouched by clientv3.
type badRequest struct {
	name string
	send func(ctx context.Context, kv pb.KVClient, rev int64) (protoadapt.MessageV1, error)
	// etcdAccepts marks the cases that look wrong but that real etcd accepts; our server must
	// accept them with the same answer. Every other case must be refused by real etcd (otherwise
	// it is not a bad request and the case is wrong).
	etcdAccepts bool
}

func rangeReq(r *pb.RangeRequest) func(context.Context, pb.KVClient, int64) (protoadapt.MessageV1, error) {
	return func(ctx context.Context, kv pb.KVClient, _ int64) (protoadapt.MessageV1, error) {
		return kv.Range(ctx, r)
	}
}

func putReq(r *pb.PutRequest) func(context.Context, pb.KVClient, int64) (protoadapt.MessageV1, error) {
	return func(ctx context.Context, kv pb.KVClient, _ int64) (protoadapt.MessageV1, error) {
		return kv.Put(ctx, r)
	}
}

func txnReq(r *pb.TxnRequest) func(context.Context, pb.KVClient, int64) (protoadapt.MessageV1, error) {
	return func(ctx context.Context, kv pb.KVClient, _ int64) (protoadapt.MessageV1, error) {
		return kv.Txn(ctx, r)
	}
}

func opPut(key, val string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(key), Value: []byte(val)}}}
}

func opRange(r *pb.RangeRequest) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: r}}
}

func opDelete(key, end string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte(key), RangeEnd: []byte(end)}}}
}

// TestChapter01BadInput sends malformed and impossible requests to real etcd and to our server and
// requires the same gRPC status code and message from both; after each, our server must still
// accept a good Put.
func TestChapter01BadInput(t *testing.T) {
	t.Parallel()
	etcd, ours := startCh01(t)
	etcdKV := pb.NewKVClient(harness.Dial(t, etcd.Endpoint))
	oursKV := pb.NewKVClient(harness.Dial(t, ours.Endpoint))

	// Some history on both: keys a, b, c at revisions 2, 3, 4. Real etcd keeps old revisions
	// until they are compacted; chapter 01 keeps none, so compacting real etcd at the current
	// revision makes both answer "compacted" for a read in the past.
	var rev int64
	for _, k := range []string{"a", "b", "c"} {
		ctx := ctxWithTimeout(t)
		want, err := etcdKV.Put(ctx, &pb.PutRequest{Key: []byte(k), Value: []byte("v")})
		require.NoError(t, err)
		got, err := oursKV.Put(ctx, &pb.PutRequest{Key: []byte(k), Value: []byte("v")})
		require.NoError(t, err)
		require.Equal(t, want.Header.Revision, got.Header.Revision, "put %s: our revision should match real etcd's", k)
		rev = want.Header.Revision
	}
	_, err := etcdKV.Compact(ctxWithTimeout(t), &pb.CompactionRequest{Revision: rev, Physical: true})
	require.NoError(t, err, "compact real etcd at revision %d", rev)
	pastRev := rev - 1

	manyPuts := make([]*pb.RequestOp, 129) // etcd's default --max-txn-ops is 128
	for i := range manyPuts {
		manyPuts[i] = opPut(fmt.Sprintf("many/%03d", i), "v")
	}
	validCmp := &pb.Compare{Key: []byte("a"), Target: pb.Compare_VERSION, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 0}}

	cases := []badRequest{
		{name: "range: empty key", send: rangeReq(&pb.RangeRequest{})},
		{name: "range: empty key with a range end", send: rangeReq(&pb.RangeRequest{RangeEnd: []byte("z")})},
		{name: "range: invalid sort order", send: rangeReq(&pb.RangeRequest{Key: []byte("a"), SortOrder: 99})},
		{name: "range: invalid sort target", send: rangeReq(&pb.RangeRequest{Key: []byte("a"), SortOrder: pb.RangeRequest_ASCEND, SortTarget: 99})},
		{name: "range: future revision", send: func(ctx context.Context, kv pb.KVClient, rev int64) (protoadapt.MessageV1, error) {
			return kv.Range(ctx, &pb.RangeRequest{Key: []byte("a"), Revision: rev + 100})
		}},
		{name: "range: compacted revision", send: rangeReq(&pb.RangeRequest{Key: []byte("a"), Revision: pastRev})},
		{name: "range: negative revision reads the current one", etcdAccepts: true,
			send: rangeReq(&pb.RangeRequest{Key: []byte("a"), Revision: -1})},
		{name: "put: empty key", send: putReq(&pb.PutRequest{Value: []byte("v")})},
		{name: "put: ignore_value with a value", send: putReq(&pb.PutRequest{Key: []byte("a"), Value: []byte("v"), IgnoreValue: true})},
		{name: "put: ignore_lease with a lease", send: putReq(&pb.PutRequest{Key: []byte("a"), Lease: 1, IgnoreLease: true})},
		{name: "put: ignore_value on a missing key", send: putReq(&pb.PutRequest{Key: []byte("missing"), IgnoreValue: true})},
		{name: "put: ignore_lease on a missing key", send: putReq(&pb.PutRequest{Key: []byte("missing"), Value: []byte("v"), IgnoreLease: true})},
		{name: "put: unknown lease", send: putReq(&pb.PutRequest{Key: []byte("a"), Value: []byte("v"), Lease: 12345})},
		{name: "put: a 2 MiB value is over gRPC's receive limit", send: putReq(&pb.PutRequest{Key: []byte("big"), Value: make([]byte, 2<<20)})},
		{name: "delete: empty key", send: func(ctx context.Context, kv pb.KVClient, _ int64) (protoadapt.MessageV1, error) {
			return kv.DeleteRange(ctx, &pb.DeleteRangeRequest{RangeEnd: []byte("z")})
		}},
		{name: "txn: compare with an empty key", send: txnReq(&pb.TxnRequest{
			Compare: []*pb.Compare{{Target: pb.Compare_VALUE, TargetUnion: &pb.Compare_Value{Value: []byte("v")}}},
		})},
		{name: "txn: empty key in a put", send: txnReq(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("", "v")}})},
		{name: "txn: empty key in the branch that does not run", send: txnReq(&pb.TxnRequest{
			Compare: []*pb.Compare{validCmp}, Success: []*pb.RequestOp{opPut("x", "v")}, Failure: []*pb.RequestOp{opRange(&pb.RangeRequest{})},
		})},
		{name: "txn: invalid sort order in a range", send: txnReq(&pb.TxnRequest{
			Success: []*pb.RequestOp{opRange(&pb.RangeRequest{Key: []byte("a"), SortOrder: 7})},
		})},
		{name: "txn: 129 operations", send: txnReq(&pb.TxnRequest{Success: manyPuts})},
		{name: "txn: 129 operations in the failure branch", send: txnReq(&pb.TxnRequest{Failure: manyPuts})},
		{name: "txn: 129 comparisons", send: txnReq(&pb.TxnRequest{Compare: repeat(validCmp, 129)})},
		{name: "txn: the same key put twice", send: txnReq(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("d", "1"), opPut("d", "2")}})},
		{name: "txn: a put inside a deleted range", send: txnReq(&pb.TxnRequest{Success: []*pb.RequestOp{opDelete("a", "c"), opPut("b", "1")}})},
		{name: "txn: a put of a deleted key", send: txnReq(&pb.TxnRequest{Failure: []*pb.RequestOp{opPut("b", "1"), opDelete("b", "")}})},
		{name: "txn: a comparison with an unknown target compares nothing and holds", etcdAccepts: true,
			send: txnReq(&pb.TxnRequest{Compare: []*pb.Compare{{Key: []byte("a"), Target: 99}}, Success: []*pb.RequestOp{opRange(&pb.RangeRequest{Key: []byte("a")})}})},
		{name: "txn: a comparison with an unknown result holds", etcdAccepts: true,
			send: txnReq(&pb.TxnRequest{Compare: []*pb.Compare{{Key: []byte("a"), Result: 99, Target: pb.Compare_MOD}}, Success: []*pb.RequestOp{opRange(&pb.RangeRequest{Key: []byte("a")})}})},
		{name: "txn: a value comparison without a value", etcdAccepts: true,
			send: txnReq(&pb.TxnRequest{Compare: []*pb.Compare{{Key: []byte("a"), Target: pb.Compare_VALUE, Result: pb.Compare_GREATER}}, Success: []*pb.RequestOp{opPut("cmp", "then")}, Failure: []*pb.RequestOp{opPut("cmp", "else")}})},
		{name: "txn: an operation with no request", send: txnReq(&pb.TxnRequest{Success: []*pb.RequestOp{{}}})},
		{name: "txn: a put with an unknown lease", send: txnReq(&pb.TxnRequest{Success: []*pb.RequestOp{
			{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("e"), Lease: 12345}}},
		}})},
		{name: "txn: ignore_value on a missing key", send: txnReq(&pb.TxnRequest{Success: []*pb.RequestOp{
			{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("missing"), IgnoreValue: true}}},
		}})},
		{name: "txn: a range at a future revision", send: func(ctx context.Context, kv pb.KVClient, rev int64) (protoadapt.MessageV1, error) {
			return kv.Txn(ctx, &pb.TxnRequest{Success: []*pb.RequestOp{opPut("f", "1"), opRange(&pb.RangeRequest{Key: []byte("a"), Revision: rev + 100})}})
		}},
		{name: "txn: a range at a compacted revision", send: txnReq(&pb.TxnRequest{Success: []*pb.RequestOp{
			opRange(&pb.RangeRequest{Key: []byte("a"), Revision: pastRev}),
		}})},
		{name: "txn: a nested txn with an empty key", send: txnReq(&pb.TxnRequest{Success: []*pb.RequestOp{
			{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{Success: []*pb.RequestOp{opPut("", "v")}}}},
		}})},
	}

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := ctxWithTimeout(t)
			want, wantErr := c.send(ctx, etcdKV, rev)
			got, gotErr := c.send(ctx, oursKV, rev)
			if c.etcdAccepts {
				require.NoError(t, wantErr, "real etcd should accept this")
				require.NoError(t, gotErr, "real etcd accepts this; our server should too")
				if diff := harness.Diff(harness.NormalizeHeaders(want), harness.NormalizeHeaders(got)); diff != "" {
					t.Errorf("our response should equal real etcd's (-etcd +ours):\n%s", diff)
				}
			} else {
				require.Error(t, wantErr, "real etcd should refuse this request; if it does not, the test case is wrong")
				require.Error(t, gotErr, "real etcd refused this with %v; our server should refuse it too", wantErr)
				assert.Equal(t, status.Code(wantErr), status.Code(gotErr), "gRPC code; real etcd said %v, ours %v", wantErr, gotErr)
				assert.Equal(t, status.Convert(wantErr).Message(), status.Convert(gotErr).Message(), "error message")
			}

			// Whatever happened, both must keep serving, and stay at the same revision.
			good := &pb.PutRequest{Key: []byte("after"), Value: []byte(strconv.Itoa(i))}
			wantPut, err := etcdKV.Put(ctx, good)
			require.NoError(t, err, "a good put to real etcd")
			gotPut, err := oursKV.Put(ctx, good)
			require.NoError(t, err, "after a bad request, our server should still accept a good put")
			assert.Equal(t, wantPut.Header.Revision, gotPut.Header.Revision,
				"the good put after the bad request should create the same revision on both; did the bad request change ours?")
			rev = wantPut.Header.Revision
		})
	}
}

func repeat[T any](v T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestChapter01Unsupported pins down what chapter 01 refuses on purpose. Real etcd supports all of
// it (checked here too); chapter 02, with etcd's MVCC store, turns each one on, and must then move
// the case to a comparison with real etcd.
func TestChapter01Unsupported(t *testing.T) {
	t.Parallel()
	etcd, ours := startCh01(t)
	etcdKV := pb.NewKVClient(harness.Dial(t, etcd.Endpoint))
	oursKV := pb.NewKVClient(harness.Dial(t, ours.Endpoint))

	for _, kv := range []pb.KVClient{etcdKV, oursKV} {
		_, err := kv.Put(ctxWithTimeout(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
		require.NoError(t, err)
	}
	cases := []struct {
		name string
		send func(ctx context.Context, kv pb.KVClient) error
	}{
		{"compact (needs history)", func(ctx context.Context, kv pb.KVClient) error {
			_, err := kv.Compact(ctx, &pb.CompactionRequest{Revision: 2})
			return err
		}},
		{"a txn nested inside a txn", func(ctx context.Context, kv pb.KVClient) error {
			_, err := kv.Txn(ctx, &pb.TxnRequest{Success: []*pb.RequestOp{
				{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{Success: []*pb.RequestOp{opPut("n", "1")}}}},
			}})
			return err
		}},
		{"a range at a fixed revision after a write in the same txn (needs the state before the write)", func(ctx context.Context, kv pb.KVClient) error {
			_, err := kv.Txn(ctx, &pb.TxnRequest{Success: []*pb.RequestOp{
				opPut("k", "v2"), opRange(&pb.RangeRequest{Key: []byte("k"), Revision: 2}),
			}})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := ctxWithTimeout(t)
			require.NoError(t, c.send(ctx, etcdKV), "real etcd supports this")
			err := c.send(ctx, oursKV)
			assert.Equal(t, codes.Unimplemented, status.Code(err),
				"chapter 01 should refuse this with Unimplemented (not a wrong answer), got %v", err)
			assert.Contains(t, status.Convert(err).Message(), "not supported before chapter 02",
				"the message should tell the reader which chapter adds it")
		})
	}
}
