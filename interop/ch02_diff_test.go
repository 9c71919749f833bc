package interop_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"etcdwalk/interop/harness"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/protoadapt"
)

// ch02Server is chapter 02's server, built with the race detector like chapter 01's.
const ch02Server = "etcdwalk/chapters/02-kvserver/cmd/server"

// startCh02 starts a chapter 02 server with a data directory of its own (--data-dir defaults to
// a directory in the current one, which tests must not share) and any further flags.
func startCh02(t *testing.T, args ...string) *harness.Process {
	t.Helper()
	bin := harness.Build(t, ch02Server, true)
	return harness.StartServer(t, bin, append([]string{"--name", "ch02", "--data-dir", t.TempDir()}, args...)...)
}

// The differential test: diffSeeds × diffOps random requests. Each seed gets a fresh etcd and a
// fresh chapter 02 server, so `go test -run 'TestChapter02Differential/seed=N'` replays seed N
// exactly: the stream depends only on the seed and on real etcd's (deterministic) answers.
var diffSeeds = []uint64{1, 2, 3, 4}

const diffOps = 1500

// TestChapter02Differential sends a seeded random stream of Range, Put, DeleteRange, Txn and
// Compact requests, with every field chapter 02 supports, to a fresh real etcd and a fresh
// chapter 02 server through etcd's generated KVClient, and requires the same answer to each: the
// same response apart from cluster_id, member_id and raft_term, or the same gRPC code and message.
// The key space is small so that operations collide, and revisions are picked around the current
// and the compacted one, so that reads of the past, of the future and of compacted history all
// happen. It stops at the first difference and prints how to replay it.
func TestChapter02Differential(t *testing.T) {
	t.Parallel()
	for _, seed := range diffSeeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			etcd := harness.StartEtcd(t)
			ours := startCh02(t, "--trace")
			etcdKV := pb.NewKVClient(harness.Dial(t, etcd.Endpoint))
			oursKV := pb.NewKVClient(harness.Dial(t, ours.Endpoint))

			g := newGen(seed)
			var recent []string // the last few requests, for the failure message
			for i := range diffOps {
				req := g.next()
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				want, wantErr := sendKV(ctx, etcdKV, req)
				got, gotErr := sendKV(ctx, oursKV, req)
				cancel()
				if d := answerDiff(want, wantErr, got, gotErr); d != "" {
					t.Fatalf("seed %d, op %d of %d: chapter 02 answered differently from real etcd v%s.\n"+
						"Replay: go test -race -run 'TestChapter02Differential/seed=%d' etcdwalk/interop\n\n"+
						"request (%T, protojson):\n%s\nrequest (text): %s\n\n"+
						"real etcd answered: %s\nchapter 02 answered: %s\n\n%s\n\n"+
						"the requests before it, oldest first:\n%s",
						seed, i, diffOps, harness.EtcdVersion, seed,
						req, protojson.Format(protoadapt.MessageV2Of(req)), oneLine(req),
						answerText(want, wantErr), answerText(got, gotErr), d,
						strings.Join(recent, "\n"))
				}
				g.observe(req, want, wantErr)
				recent = append(recent, fmt.Sprintf("  op %d: %T %s", i, req, oneLine(req)))
				if len(recent) > 8 {
					recent = recent[1:]
				}
			}
		})
	}
}

// sendKV sends one request of the KV service and returns its answer.
func sendKV(ctx context.Context, kv pb.KVClient, req protoadapt.MessageV1) (protoadapt.MessageV1, error) {
	switch r := req.(type) {
	case *pb.RangeRequest:
		return nilIfErr(kv.Range(ctx, r))
	case *pb.PutRequest:
		return nilIfErr(kv.Put(ctx, r))
	case *pb.DeleteRangeRequest:
		return nilIfErr(kv.DeleteRange(ctx, r))
	case *pb.TxnRequest:
		return nilIfErr(kv.Txn(ctx, r))
	case *pb.CompactionRequest:
		return nilIfErr(kv.Compact(ctx, r))
	}
	panic(fmt.Sprintf("sendKV: not a KV request: %T", req))
}

// nilIfErr turns a typed response into an interface that is nil when there is an error (a nil
// *pb.RangeResponse in an interface is not a nil interface).
func nilIfErr[M protoadapt.MessageV1](m M, err error) (protoadapt.MessageV1, error) {
	if err != nil {
		return nil, err
	}
	return m, nil
}

// answerDiff is "" when the two answers are the same: equal responses after NormalizeHeaders, or
// errors with the same gRPC code and message.
func answerDiff(want protoadapt.MessageV1, wantErr error, got protoadapt.MessageV1, gotErr error) string {
	return answerDiffFrom("chapter 02", want, wantErr, got, gotErr)
}

// answerDiffFrom is answerDiff for the server named ours ("chapter 03") in the text.
func answerDiffFrom(ours string, want protoadapt.MessageV1, wantErr error, got protoadapt.MessageV1, gotErr error) string {
	switch {
	case wantErr != nil && gotErr != nil:
		ws, gs := status.Convert(wantErr), status.Convert(gotErr)
		if ws.Code() != gs.Code() || ws.Message() != gs.Message() {
			return fmt.Sprintf("different errors: real etcd %v %q, %s %v %q", ws.Code(), ws.Message(), ours, gs.Code(), gs.Message())
		}
		return ""
	case wantErr != nil:
		return "real etcd refused the request, " + ours + " accepted it"
	case gotErr != nil:
		return "real etcd accepted the request, " + ours + " refused it"
	}
	if d := harness.Diff(harness.NormalizeHeaders(want), harness.NormalizeHeaders(got)); d != "" {
		return "different responses (-etcd +" + ours + "):\n" + d
	}
	return ""
}

func answerText(m protoadapt.MessageV1, err error) string {
	if err != nil {
		s := status.Convert(err)
		return fmt.Sprintf("error, code %v, message %q", s.Code(), s.Message())
	}
	return fmt.Sprintf("%T %s", m, oneLine(m))
}

// oneLine prints a message in the text format, where bytes are readable strings ("a" rather than
// protojson's base64 "YQ==").
func oneLine(m protoadapt.MessageV1) string {
	s := prototext.MarshalOptions{}.Format(protoadapt.MessageV2Of(m))
	if s == "" {
		return "{}"
	}
	return "{" + strings.Join(strings.Fields(s), " ") + "}"
}

// gen generates the request stream. Its only state besides the random source is what real etcd
// has answered: the current revision and the last compaction, so that revisions can be picked
// around them.
type gen struct {
	r          *rand.Rand
	rev        int64 // real etcd's current revision (its last header's)
	compactRev int64 // the revision of the last successful Compact, 0 if none
	// inTxn is set while a txn is generated: a txn fails as a whole when any of its operations
	// is refused, so inside one the choices that make etcd refuse are made rarer (bad).
	inTxn bool
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 0x65746364)), rev: 1}
}

// observe records the revision etcd answered with and, for a successful Compact, the compaction.
func (g *gen) observe(req, resp protoadapt.MessageV1, err error) {
	if err != nil {
		return
	}
	if rev := headerRevision(resp); rev > g.rev {
		g.rev = rev
	}
	if c, ok := req.(*pb.CompactionRequest); ok {
		g.compactRev = c.Revision
	}
}

// The key space: few keys, several of them prefixes of others, so that single-key operations,
// prefixes and ranges keep hitting the same keys.
// "\xff" has no prefix end: its prefix is every key from it on.
var genKeys = []string{"a", "ab", "abc", "b", "ba", "c", "d", "\xff"}

func (g *gen) chance(pct int) bool { return g.r.IntN(100) < pct }

// bad is chance for a choice that makes etcd refuse the request: a fifth as likely in a txn.
func (g *gen) bad(pct int) bool {
	if g.inTxn {
		return g.r.IntN(500) < pct
	}
	return g.chance(pct)
}

func (g *gen) next() protoadapt.MessageV1 {
	switch n := g.r.IntN(100); {
	case n < 30:
		return g.rangeReq()
	case n < 57:
		return g.putReq(nil)
	case n < 66:
		return g.deleteReq(nil)
	case n < 98:
		return g.txnReq()
	default:
		return g.compactReq()
	}
}

// key is a key of the key space, or (rarely) the empty key that every request refuses.
func (g *gen) key() []byte {
	if g.bad(2) {
		return nil
	}
	return []byte(genKeys[g.r.IntN(len(genKeys))])
}

// rangeEnd is a range end for key: none (the key alone), its prefix end, "\x00" (every key from
// key on), another key of the key space (which may be before key: an empty range), key+"\x00"
// or "\xff".
func (g *gen) rangeEnd(key []byte) []byte {
	switch n := g.r.IntN(100); {
	case n < 45:
		return nil
	case n < 60:
		return prefixEnd(key)
	case n < 72:
		return []byte{0}
	case n < 90:
		return []byte(genKeys[g.r.IntN(len(genKeys))])
	case n < 95:
		return append(append([]byte{}, key...), 0)
	default:
		return []byte{0xff}
	}
}

// prefixEnd is clientv3.GetPrefixRangeEnd.
func prefixEnd(key []byte) []byte {
	end := append([]byte{}, key...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0}
}

func (g *gen) value() []byte {
	n := g.r.IntN(4)
	v := make([]byte, n)
	for i := range v {
		v[i] = "xyz"[g.r.IntN(3)]
	}
	return v
}

// revision is a revision around the interesting ones: the current, just before and after it,
// anywhere in the past, far in the future, the compaction and its neighbours, 1, and negative.
func (g *gen) revision() int64 {
	switch g.r.IntN(12) {
	case 0, 1:
		return g.rev
	case 2:
		return g.rev - 1
	case 3:
		return g.rev - 1 - g.r.Int64N(10)
	case 4, 5:
		return 1 + g.r.Int64N(g.rev)
	case 6:
		return g.rev + 1
	case 7:
		return g.rev + 2 + g.r.Int64N(5)
	case 8:
		return -1 - g.r.Int64N(3)
	case 9:
		return g.compactRev - 1 + g.r.Int64N(3)
	case 10:
		return 1
	default:
		return 0
	}
}

// lease is a lease ID. No lease is ever granted, so real etcd knows none of them either.
func (g *gen) lease() int64 {
	return []int64{1, 7587862072907683112, -1, 0x7fffffffffffffff}[g.r.IntN(4)]
}

func (g *gen) rangeReq() *pb.RangeRequest {
	r := &pb.RangeRequest{}
	if g.chance(5) {
		r.Key, r.RangeEnd = []byte{0}, []byte{0} // everything
	} else {
		r.Key = g.key()
		r.RangeEnd = g.rangeEnd(r.Key)
	}
	if g.bad(40) {
		r.Revision = g.revision()
	}
	switch n := g.r.IntN(100); {
	case n < 60:
	case n < 78:
		r.SortOrder = pb.RangeRequest_ASCEND
	case n < 96:
		r.SortOrder = pb.RangeRequest_DESCEND
	}
	if g.bad(4) {
		r.SortOrder = pb.RangeRequest_SortOrder([]int32{3, 99, -1}[g.r.IntN(3)])
	}
	switch n := g.r.IntN(100); {
	case n < 50:
	default:
		r.SortTarget = pb.RangeRequest_SortTarget(1 + g.r.IntN(4))
	}
	if g.bad(3) {
		r.SortTarget = pb.RangeRequest_SortTarget([]int32{5, 99, -1}[g.r.IntN(3)])
	}
	switch n := g.r.IntN(100); {
	case n < 50:
	case n < 98:
		r.Limit = 1 + g.r.Int64N(4)
	default:
		r.Limit = -1
	}
	r.Serializable = g.chance(30)
	r.KeysOnly = g.chance(20)
	r.CountOnly = g.chance(15)
	for _, f := range []*int64{&r.MinModRevision, &r.MaxModRevision, &r.MinCreateRevision, &r.MaxCreateRevision} {
		if g.chance(7) {
			*f = g.revision()
		}
	}
	return r
}

// A claims set keeps the writes of one txn (nested txns included) on distinct keys, so that most
// txns pass etcd's duplicate-key check and do something; the others (wild txns) may write a key
// twice and exercise the check. nil means wild.
type claims map[string]bool

// claim reserves the keys of the key space in [key, end) (conservatively: a from-key or inverted
// range claims every key from key on) and reports whether none was reserved before.
func (c claims) claim(key, end []byte) bool {
	if c == nil {
		return true
	}
	var in []string
	for _, k := range genKeys {
		kb := []byte(k)
		switch {
		case len(end) == 0:
			if string(kb) != string(key) {
				continue
			}
		case string(end) == "\x00" || string(end) <= string(key):
			if string(kb) < string(key) {
				continue
			}
		default:
			if string(kb) < string(key) || string(kb) >= string(end) {
				continue
			}
		}
		in = append(in, k)
	}
	for _, k := range in {
		if c[k] {
			return false
		}
	}
	for _, k := range in {
		c[k] = true
	}
	return true
}

// putReq makes a Put; in a txn, c keeps its key apart from the txn's other writes (nil: top
// level or a wild txn).
func (g *gen) putReq(c claims) *pb.PutRequest {
	p := &pb.PutRequest{Key: g.key(), Value: g.value(), PrevKv: g.chance(30)}
	for try := 0; try < 4 && !c.claim(p.Key, nil); try++ {
		p.Key = g.key()
	}
	// ignore_value and ignore_lease need the key to exist, and refuse a value or a lease.
	if g.bad(10) {
		p.IgnoreValue = true
		if !g.bad(30) {
			p.Value = nil
		}
	}
	if g.bad(10) {
		p.IgnoreLease = true
		if g.bad(30) {
			p.Lease = g.lease()
		}
	} else if g.bad(3) {
		p.Lease = g.lease()
	}
	return p
}

func (g *gen) deleteReq(c claims) *pb.DeleteRangeRequest {
	d := &pb.DeleteRangeRequest{Key: g.key(), PrevKv: g.chance(40)}
	if g.chance(40) {
		d.RangeEnd = g.rangeEnd(d.Key)
	}
	for try := 0; try < 4 && !c.claim(d.Key, d.RangeEnd); try++ {
		d.Key = g.key()
		d.RangeEnd = nil
	}
	return d
}

func (g *gen) compare() *pb.Compare {
	c := &pb.Compare{Key: g.key()}
	if g.chance(20) {
		c.RangeEnd = g.rangeEnd(c.Key)
	}
	if g.chance(8) {
		c.Target = pb.Compare_CompareTarget([]int32{5, 99, -1}[g.r.IntN(3)])
	} else {
		c.Target = pb.Compare_CompareTarget(g.r.IntN(5))
	}
	if g.chance(8) {
		c.Result = pb.Compare_CompareResult([]int32{4, 99, -1}[g.r.IntN(3)])
	} else {
		c.Result = pb.Compare_CompareResult(g.r.IntN(4))
	}
	// Usually the union holds the field the target names; sometimes another one, or none.
	unionTarget := c.Target
	switch n := g.r.IntN(100); {
	case n < 82:
	case n < 92:
		unionTarget = pb.Compare_CompareTarget(g.r.IntN(5))
	default:
		return c
	}
	switch unionTarget {
	case pb.Compare_VERSION:
		c.TargetUnion = &pb.Compare_Version{Version: g.r.Int64N(5) - 1}
	case pb.Compare_CREATE:
		c.TargetUnion = &pb.Compare_CreateRevision{CreateRevision: g.revision()}
	case pb.Compare_MOD:
		c.TargetUnion = &pb.Compare_ModRevision{ModRevision: g.revision()}
	case pb.Compare_VALUE:
		c.TargetUnion = &pb.Compare_Value{Value: g.value()}
	case pb.Compare_LEASE:
		if g.chance(70) {
			c.TargetUnion = &pb.Compare_Lease{Lease: 0}
		} else {
			c.TargetUnion = &pb.Compare_Lease{Lease: g.lease()}
		}
	}
	return c
}

// txnReq makes a txn with up to 3 comparisons and up to 3 operations per branch, with nested
// txns down to depth 2. A quarter of them are wild.
//
// One shape is never generated: a from-key delete and a put of a key in its range in the same
// txn. etcd's duplicate-key check misses the overlap (etcd-io/etcd#22445) and accepts the txn,
// and real etcd v3.6.16 then crashes on it: at once if the put has ignore_value or ignore_lease
// (its key is gone when the put runs: "unexpected error during txn with writes"), or on the
// first read of the key after a compaction at the txn's revision (etcd-io/etcd#22376). A crashed
// reference has no answer to compare with, so what chapter 02 does there is checked by
// TestChapter02FromKeyDeleteAndPutInOneTxn instead.
func (g *gen) txnReq() *pb.TxnRequest {
	g.inTxn = true
	defer func() { g.inTxn = false }()
	for {
		var c claims
		if g.chance(75) {
			c = claims{}
		}
		t := g.txn(0, c)
		if !putsUnderFromKeyDelete(t) {
			return t
		}
	}
}

// putsUnderFromKeyDelete reports whether some put of t (at any depth, in either branch) has a
// key at or after the key of some from-key delete of t.
func putsUnderFromKeyDelete(t *pb.TxnRequest) bool {
	var puts, fromKeys []string
	var walk func(t *pb.TxnRequest)
	walk = func(t *pb.TxnRequest) {
		for _, op := range append(append([]*pb.RequestOp{}, t.Success...), t.Failure...) {
			switch {
			case op.GetRequestPut() != nil:
				puts = append(puts, string(op.GetRequestPut().Key))
			case op.GetRequestDeleteRange() != nil && string(op.GetRequestDeleteRange().RangeEnd) == "\x00":
				fromKeys = append(fromKeys, string(op.GetRequestDeleteRange().Key))
			case op.GetRequestTxn() != nil:
				walk(op.GetRequestTxn())
			}
		}
	}
	walk(t)
	for _, from := range fromKeys {
		for _, k := range puts {
			if k >= from {
				return true
			}
		}
	}
	return false
}

func (g *gen) txn(depth int, c claims) *pb.TxnRequest {
	t := &pb.TxnRequest{}
	for range g.r.IntN(4) {
		t.Compare = append(t.Compare, g.compare())
	}
	t.Success = g.ops(depth, c)
	t.Failure = g.ops(depth, c)
	return t
}

func (g *gen) ops(depth int, c claims) []*pb.RequestOp {
	var ops []*pb.RequestOp
	for range g.r.IntN(4) {
		var op *pb.RequestOp
		switch n := g.r.IntN(100); {
		case n < 35:
			op = &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: g.rangeReq()}}
		case n < 72:
			op = &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: g.putReq(c)}}
		case n < 88 || depth == 2:
			op = &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: g.deleteReq(c)}}
		default:
			op = &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: g.txn(depth+1, c)}}
		}
		ops = append(ops, op)
	}
	return ops
}

// compactReq compacts at the current revision, somewhere after the last compaction, at or
// before it (refused as compacted), in the future, at 0, or at a negative revision.
func (g *gen) compactReq() *pb.CompactionRequest {
	c := &pb.CompactionRequest{Physical: g.chance(50)}
	switch g.r.IntN(10) {
	case 0, 1, 2:
		c.Revision = g.rev
	case 3, 4:
		c.Revision = g.compactRev + 1 + g.r.Int64N(max(1, g.rev-g.compactRev))
	case 5:
		c.Revision = g.rev - 1
	case 6:
		c.Revision = g.compactRev - g.r.Int64N(2)
	case 7:
		c.Revision = g.rev + 1 + g.r.Int64N(3)
	case 8:
		c.Revision = 0
	default:
		c.Revision = -1 - g.r.Int64N(2)
	}
	return c
}
