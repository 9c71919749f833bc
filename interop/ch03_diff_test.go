package interop_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/protoadapt"
)

// ch03Server is chapter 03's server: a whole raft cluster in one process, one client URL per
// member. Built with the race detector like the other chapters' servers.
const ch03Server = "etcdwalk/chapters/03-propose-wait/cmd/server"

// ch03Members is the size of the clusters the tests start, the seed's three-member example.
const ch03Members = 3

// ch03CatchUp bounds how long a member may take to apply what another member has acknowledged.
// Raft tells the followers about a commit in the leader's next message, a moment after the
// proposer's answer; nothing in this chapter should take seconds.
const ch03CatchUp = 10 * time.Second

// startCh03 starts a chapter 03 cluster of ch03Members members with a fresh parent data
// directory (the server refuses one from an earlier run) and any further flags. It returns once
// every member knows the leader; nothing has been written, so the cluster is at revision 1.
func startCh03(t *testing.T, args ...string) *harness.Process {
	t.Helper()
	bin := harness.Build(t, ch03Server, true)
	return harness.StartCluster(t, bin, ch03Members, append([]string{"--data-dir", t.TempDir()}, args...)...)
}

// The chapter 03 differential test: ch03DiffSeeds × ch03DiffOps requests of chapter 02's
// generator. Fewer than chapter 02's, since every write is a raft round trip and three fsyncs;
// other seeds than chapter 02's, so that the two tests together see more streams.
var ch03DiffSeeds = []uint64{301, 302, 303}

const ch03DiffOps = 1000

// TestChapter03Differential sends chapter 02's seeded random stream of Range, Put, DeleteRange,
// Txn and Compact requests to a fresh real etcd (one member: a correct cluster answers as one
// member does) and to a fresh three-member chapter 03 cluster, and requires the same answer to
// each: the same response apart from cluster_id, member_id and raft_term, or the same gRPC code
// and message.
//
// On the chapter 03 side the requests that may write take turns over the members, so two of
// every three go through a follower, which forwards them to the leader. Reads go to the member
// that acknowledged the latest write. Chapter 03 serves reads from the local store without
// ReadIndex, so another member may not have applied that write yet; the member that
// acknowledged it has applied every entry before it, and no later entry exists (one request at a
// time), so its answer is the whole cluster's, and the test is deterministic. A failed write
// (refused before raft, or by the apply) leaves the store as it was, so it does not move the
// reads.
//
// At the end every member must have caught up: a read of every key on each equals real etcd's.
func TestChapter03Differential(t *testing.T) {
	t.Parallel()
	for _, seed := range ch03DiffSeeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			d := newClusterDiff(t, "chapter 03", "TestChapter03Differential", seed, startCh03(t))
			n := d.run(t, ch03DiffOps, func(s routeState) (int, string) {
				if s.write {
					return s.writes % len(d.members), "a request that may write: the members take turns"
				}
				why := "a read: sent to the member that acknowledged the latest write"
				if s.lastOp >= 0 {
					why += fmt.Sprintf(" (op %d)", s.lastOp)
				} else {
					why += " (none yet: every member is at revision 1)"
				}
				return s.last, why
			})
			t.Logf("seed %d: %d requests; %d of them may write (%d through a follower), %d are reads", seed, ch03DiffOps, n.writes, n.viaFollower, n.reads)
			require.Positive(t, n.viaFollower, "seed %d: no write went through a follower; the test does not test what it claims", seed)

			// Every member applies every entry.
			d.requireEveryMemberReadsAll(t, ch03CatchUp)
		})
	}
}

// clusterDiff is one seed of a differential test of a cluster of ours against a real etcd: the
// same stream of chapter 02's generator to both, each request on our side to the member a route
// picks, on the etcd side to its one member or, if it has as many as ours, to the member of the
// same place.
type clusterDiff struct {
	ours    string // "chapter 03", for messages
	test    string // the test's name, for the replay command
	seed    uint64
	etcd    []pb.KVClient // one, or one per member of ours
	members []pb.KVClient
	roles   []string // ch03Roles of ours, taken at the start
	// leaveOut, if set, picks the requests of the stream that go to neither side, given real
	// etcd's current and compacted revision: a shape on which this real etcd is known to go
	// wrong, so that its answer is no reference.
	leaveOut func(req protoadapt.MessageV1, rev, compactRev int64) bool
}

// newClusterDiff starts a fresh single-member real etcd next to ours (a cluster of ours just
// started, at revision 1) and connects to both.
func newClusterDiff(t *testing.T, name, test string, seed uint64, ours *harness.Process) *clusterDiff {
	t.Helper()
	etcd := harness.StartEtcd(t)
	return newClusterDiffOf(t, name, test, seed, []string{etcd.Endpoint}, ours.Endpoints)
}

// newClusterDiffOf connects to a fresh real etcd and a fresh cluster of ours, both at revision
// 1, given their members' endpoints: real etcd has one member (a correct cluster answers as one
// member does) or as many as ours, and then request i goes to the member of the same place on
// both sides, so that a serializable read meets, on each side, the member that acknowledged the
// latest write.
func newClusterDiffOf(t *testing.T, name, test string, seed uint64, etcd, ours []string) *clusterDiff {
	t.Helper()
	require.True(t, len(etcd) == 1 || len(etcd) == len(ours),
		"a differential test needs a real etcd of one member or of as many as ours (%d), not %d", len(ours), len(etcd))
	d := &clusterDiff{ours: name, test: test, seed: seed}
	for _, ep := range etcd {
		d.etcd = append(d.etcd, pb.NewKVClient(harness.Dial(t, ep)))
	}
	for _, ep := range ours {
		d.members = append(d.members, pb.NewKVClient(harness.Dial(t, ep)))
	}
	d.roles = rolesOf(t, ours)
	return d
}

// etcdFor is the real etcd member that gets the request sent to our member m.
func (d *clusterDiff) etcdFor(m int) pb.KVClient {
	if len(d.etcd) == 1 {
		return d.etcd[0]
	}
	return d.etcd[m]
}

// routeState is what a route knows when it picks the member for the next request.
type routeState struct {
	op     int                  // the request's place in the stream, from 0
	req    protoadapt.MessageV1 // the request
	write  bool                 // mayWrite(req)
	writes int                  // requests that may write sent before this one
	// last is the member that acknowledged the latest successful write, at op lastOp; -1 if
	// there was none yet (last is then 0: every member is at revision 1).
	last, lastOp int
}

// diffCounts is what a run sent where.
type diffCounts struct {
	writes, viaFollower int // requests that may write, and those of them sent to a follower
	reads               int // the other requests
	// readsElsewhere are the reads sent, after a successful write, to a member other than the
	// one that acknowledged it.
	readsElsewhere int
	readsOn        []int // reads per member
	leftOut        int   // requests leaveOut kept from both sides
}

// run sends ops requests of the seed's stream, each to real etcd and to the member route picks
// (route also says why, for the failure message), and stops the test at the first difference,
// with the request, both answers, the requests before it and how to replay it.
func (d *clusterDiff) run(t *testing.T, ops int, route func(routeState) (member int, why string)) diffCounts {
	t.Helper()
	g := newGen(d.seed)
	var recent []string // the last few requests, for the failure message
	n := diffCounts{readsOn: make([]int, len(d.members))}
	s := routeState{lastOp: -1}
	for i := range ops {
		req := g.next()
		if d.leaveOut != nil && d.leaveOut(req, g.rev, g.compactRev) {
			n.leftOut++
			continue
		}
		s.op, s.req, s.write = i, req, mayWrite(req)
		m, why := route(s)
		if s.write {
			s.writes++
			n.writes++
			if !strings.HasSuffix(d.roles[m], "(leader)") {
				n.viaFollower++
			}
		} else {
			n.reads++
			n.readsOn[m]++
			if s.lastOp >= 0 && m != s.last {
				n.readsElsewhere++
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		want, wantErr := sendKV(ctx, d.etcdFor(m), req)
		got, gotErr := sendKV(ctx, d.members[m], req)
		cancel()
		if diff := answerDiffFrom(d.ours, want, wantErr, got, gotErr); diff != "" {
			if len(d.etcd) > 1 {
				why += fmt.Sprintf("; on real etcd's side, to its member %d", m+1)
			}
			t.Fatalf("seed %d, op %d of %d: %s answered differently from real etcd v%s.\n"+
				"Replay: go test -race -run '%s/seed=%d' etcdwalk/interop\n\n"+
				"sent to %s; %s\n\n"+
				"request (%T, protojson):\n%s\nrequest (text): %s\n\n"+
				"real etcd answered: %s\n%s answered: %s\n\n%s\n\n"+
				"the requests before it, oldest first:\n%s",
				d.seed, i, ops, d.ours, harness.EtcdVersion, d.test, d.seed,
				d.roles[m], why,
				req, protojson.Format(protoadapt.MessageV2Of(req)), oneLine(req),
				answerText(want, wantErr), d.ours, answerText(got, gotErr), diff,
				strings.Join(recent, "\n"))
		}
		if s.write && gotErr == nil {
			s.last, s.lastOp = m, i
		}
		g.observe(req, want, wantErr)
		recent = append(recent, fmt.Sprintf("  op %d, member %d: %T %s", i, m+1, req, oneLine(req)))
		if len(recent) > 8 {
			recent = recent[1:]
		}
	}
	return n
}

// requireEveryMemberReadsAll requires a read of every key on each member to equal real etcd's:
// within the given time, for members that may still be applying what was acknowledged, or at
// once if within is 0.
func (d *clusterDiff) requireEveryMemberReadsAll(t *testing.T, within time.Duration) {
	t.Helper()
	everything := &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}}
	want, wantErr := sendKV(ctxWithTimeout(t), d.etcd[0], everything)
	require.NoError(t, wantErr, "real etcd: read every key")
	for m, kv := range d.members {
		diff := eventually(within, func() string {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			got, gotErr := sendKV(ctx, kv, everything)
			return answerDiffFrom(d.ours, want, nil, got, gotErr)
		})
		if within > 0 {
			require.Empty(t, diff, "seed %d: %s should have applied every write within %v: a read of every key should equal real etcd's", d.seed, d.roles[m], within)
		} else {
			require.Empty(t, diff, "seed %d: on %s a read of every key should equal real etcd's at once, with no waiting on the test's side", d.seed, d.roles[m])
		}
	}
}

// mayWrite reports whether chapter 03 sends req through raft because it may change the store:
// a Put, a DeleteRange, a Compact, or a Txn with a put or a delete at any depth.
//
// Real etcd also proposes a txn that holds a nested txn, even one that only reads (its
// IsTxnReadonly looks at the top level only); chapter 03 serves such a txn from the local store.
// The test counts it as a read and sends it to the member of the latest write, where both ways
// give the same answer; TestChapter03TxnWithNestedTxnGoesThroughRaft shows the difference where
// it can be seen without a race.
func mayWrite(req protoadapt.MessageV1) bool {
	switch r := req.(type) {
	case *pb.PutRequest, *pb.DeleteRangeRequest, *pb.CompactionRequest:
		return true
	case *pb.TxnRequest:
		for _, op := range append(append([]*pb.RequestOp{}, r.Success...), r.Failure...) {
			switch {
			case op.GetRequestPut() != nil, op.GetRequestDeleteRange() != nil:
				return true
			case op.GetRequestTxn() != nil && mayWrite(op.GetRequestTxn()):
				return true
			}
		}
	}
	return false
}

// ch03Roles names each member of a chapter 03 cluster for messages: "member 2 of 3
// (http://127.0.0.1:PORT, MEMBER-ID) (follower)", from a Maintenance Status of each, taken now.
func ch03Roles(t *testing.T, p *harness.Process) []string {
	t.Helper()
	return rolesOf(t, p.Endpoints)
}

// rolesOf is ch03Roles for a cluster's members, given their endpoints.
func rolesOf(t *testing.T, endpoints []string) []string {
	t.Helper()
	roles := make([]string, len(endpoints))
	for i, ep := range endpoints {
		ctx := ctxWithTimeout(t)
		st, err := pb.NewMaintenanceClient(harness.Dial(t, ep)).Status(ctx, &pb.StatusRequest{})
		require.NoError(t, err, "Status of member %d (%s)", i+1, ep)
		role := "follower"
		if st.Leader == st.Header.MemberId {
			role = "leader"
		}
		roles[i] = fmt.Sprintf("member %d of %d (%s, %x) (%s)", i+1, len(endpoints), ep, st.Header.MemberId, role)
	}
	return roles
}

// eventually calls check until it returns "" or timeout passes, and returns its last result.
// It polls: a member that has not applied an entry yet will apply it a moment later.
func eventually(timeout time.Duration, check func() string) string {
	deadline := time.Now().Add(timeout)
	for {
		res := check()
		if res == "" || time.Now().After(deadline) {
			return res
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestChapter03TxnWithNestedTxnGoesThroughRaft: real etcd serves a txn from the local store only
// when every operation of both branches is a range (etcd's txn.IsTxnReadonly looks at the top
// level only); a txn holding a nested txn is proposed through raft, even if the nested txn only
// reads. The difference shows, without any race, in the size limit, which etcd checks on the
// raft entry: a txn over --max-request-bytes (1.5 MiB by default) is refused with "request is too
// large" if it is proposed, and answered if it is served locally. (It also shows as a stale
// answer from a lagging follower, which only a race can produce.) The first and the last case
// pin down the two sides of the line: a read-only txn of the same size is answered by both, a
// writing one refused by both.
func TestChapter03TxnWithNestedTxnGoesThroughRaft(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcd(t)
	ours := startCh03(t)
	etcdKV := pb.NewKVClient(harness.Dial(t, etcd.Endpoint))
	roles := ch03Roles(t, ours)
	follower := 0
	for i, r := range roles {
		if strings.HasSuffix(r, "(follower)") {
			follower = i
			break
		}
	}
	oursKV := pb.NewKVClient(harness.Dial(t, ours.Endpoints[follower]))

	// Over etcd's default --max-request-bytes (1.5 MiB) as a raft entry, under the gRPC limit
	// (that plus 512 KiB).
	bigKey := []byte(strings.Repeat("k", 1600*1024))
	bigRange := opRange(&pb.RangeRequest{Key: bigKey})
	nested := func(ops ...*pb.RequestOp) *pb.RequestOp {
		return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{Success: ops}}}
	}
	cases := []struct {
		name string
		req  *pb.TxnRequest
	}{
		{"a read-only txn is served locally: no size limit", &pb.TxnRequest{Success: []*pb.RequestOp{bigRange}}},
		{"a txn with a nested txn that only reads is proposed: too large", &pb.TxnRequest{Success: []*pb.RequestOp{nested(bigRange)}}},
		{"a txn with a nested txn that only reads, in the failure branch, is proposed: too large", &pb.TxnRequest{Failure: []*pb.RequestOp{nested(nested(bigRange))}}},
		{"a txn that writes is proposed: too large", &pb.TxnRequest{Success: []*pb.RequestOp{bigRange, opPut("k", "v")}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := ctxWithTimeout(t)
			want, wantErr := etcdKV.Txn(ctx, c.req)
			got, gotErr := oursKV.Txn(ctx, c.req)
			var wantMsg, gotMsg protoadapt.MessageV1
			if wantErr == nil {
				wantMsg = want
			}
			if gotErr == nil {
				gotMsg = got
			}
			if d := answerDiffFrom("chapter 03", wantMsg, wantErr, gotMsg, gotErr); d != "" {
				t.Errorf("a txn of %d bytes through %s: chapter 03 answered differently from real etcd v%s.\n"+
					"real etcd answered: %s\nchapter 03 answered: %s\n%s",
					len(bigKey), roles[follower], harness.EtcdVersion,
					answerText(wantMsg, wantErr), answerText(gotMsg, gotErr), d)
			}
		})
	}
}

// TestChapter03MemberList compares MemberList with real etcd's in what a one-member etcd can
// show of a cluster's answer: the header carries no revision (etcd's ClusterServer.header fills
// cluster_id, member_id and raft_term only, v3rpc/member.go), and the members come sorted by ID
// (etcd's RaftCluster.Members sorts them, membership/cluster.go), so that every member, and
// `etcdctl member list`, show them in the same order as etcd would. (The member IDs depend on the
// client URLs, whose ports are random: in one run of six, name order happens to be ID order.)
func TestChapter03MemberList(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcd(t)
	ours := startCh03(t)
	ctx := ctxWithTimeout(t)
	want, err := pb.NewClusterClient(harness.Dial(t, etcd.Endpoint)).MemberList(ctx, &pb.MemberListRequest{})
	require.NoError(t, err, "real etcd: MemberList")
	harness.NormalizeHeaders(want)
	for i, ep := range ours.Endpoints {
		got, err := pb.NewClusterClient(harness.Dial(t, ep)).MemberList(ctx, &pb.MemberListRequest{})
		require.NoError(t, err, "MemberList on member %d (%s)", i+1, ep)
		require.Len(t, got.Members, ch03Members, "MemberList on member %d (%s): %s", i+1, ep, oneLine(got))
		if d := harness.Diff(want.Header, harness.NormalizeHeaders(got).Header); d != "" {
			t.Errorf("MemberList on member %d (%s): the header should be real etcd's, apart from cluster_id, member_id and raft_term (-etcd +chapter 03):\n%s", i+1, ep, d)
		}
		ids := make([]string, len(got.Members))
		for j, m := range got.Members {
			ids[j] = fmt.Sprintf("%016x (%s)", m.ID, m.Name)
		}
		if !slices.IsSortedFunc(got.Members, func(a, b *pb.Member) int { return cmp.Compare(a.ID, b.ID) }) {
			t.Errorf("MemberList on member %d (%s) should list the members by ID, as etcd does; it lists %v", i+1, ep, ids)
		}
	}
}
