package interop_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// alarmQuota is the --quota-backend-bytes of the full-store tests: 1 MiB, so that one put of
// alarmValue bytes fits and a second one does not, on real etcd and on our servers alike.
const (
	alarmQuota = "--quota-backend-bytes=1048576"
	alarmValue = 600 << 10
)

// etcdBatchCommit is how long to wait after a write before a write whose fate depends on the
// backend's size: etcd commits its bbolt batch every 100 ms and only then sees its new size. (Our
// servers commit before they answer.) Waiting makes the quota check the same on both.
const etcdBatchCommit = 300 * time.Millisecond

// An alarmStep is one etcdctl command of the full-store sequence, or a restart of both servers.
type alarmStep struct {
	args    []string
	stdin   string
	restart bool // stop both servers with SIGTERM and start them again on their data
	// every sends the command to every member. Other commands go to the first one only: the
	// alarm is raised by the member that refuses a write, and etcdctl's balancer picks the
	// member it writes through at random.
	every  bool
	settle bool // wait etcdBatchCommit after the command
	// status compares the "errors" of `endpoint status -w json` instead of the whole output,
	// which holds sizes, versions and raft indexes that differ.
	status bool
	// out and errOut, where set, are what etcdctl prints on stdout and stderr against one
	// endpoint, normalized: the transcript the README shows.
	out, errOut string
}

// What etcdctl prints for the full-store sequence (normalized: <endpoint N>, <id>, <d>).
const (
	healthy   = "<endpoint 1> is healthy: successfully committed proposal: took = <d>\n"
	unhealthy = "<endpoint 1> is unhealthy: failed to commit proposal: Active Alarm(s): NOSPACE \nError: unhealthy cluster\n"
	noSpace   = "Error: etcdserver: mvcc: database space exceeded\n"
	nospaceID = "memberID:<id> alarm:NOSPACE \n"
)

// fullStoreSteps is the life of a store that reaches its quota, as an operator lives it with
// etcdctl: fill → refuse (NOSPACE raised) → restart (still raised) → delete, compact, defrag,
// disarm → write again → restart (still fine). Revisions are the same on both sides: put big is
// revision 2 and del big revision 3; refused writes make none.
func fullStoreSteps(restarts bool) []alarmStep {
	big := strings.Repeat("x", alarmValue)
	steps := []alarmStep{
		{args: []string{"endpoint", "health"}, every: true, out: healthy},
		{args: []string{"alarm", "list"}, out: ""},
		{args: []string{"put", "big"}, stdin: big, settle: true, out: "OK\n"},
		{args: []string{"put", "big2"}, stdin: big, errOut: noSpace}, // does not fit: NOSPACE
		{args: []string{"alarm", "list"}, out: nospaceID},
		{args: []string{"endpoint", "health"}, every: true, errOut: unhealthy},
		{args: []string{"endpoint", "status", "-w", "json"}, every: true, status: true},
		{args: []string{"put", "small", "x"}, errOut: noSpace}, // fits, but the store is capped
		{args: []string{"txn"}, stdin: "\nput small x\n\n\n", errOut: noSpace},
		{args: []string{"txn"}, stdin: "\ndel nothing\nget big --keys-only\n\n\n", out: "SUCCESS\n\n0\n\nbig\n\n"}, // no put: allowed
		{args: []string{"get", "", "--prefix", "--keys-only"}, out: "big\n\n"},
		{restart: true},
		{args: []string{"alarm", "list"}, out: nospaceID},
		{args: []string{"put", "small", "x"}, errOut: noSpace},
		{args: []string{"del", "big"}, out: "1\n"},
		{args: []string{"compaction", "--physical", "3"}, out: "compacted revision 3\n"},
		{args: []string{"put", "small", "x"}, errOut: noSpace}, // room, but still capped
		{args: []string{"defrag"}, every: true, settle: true, out: "Finished defragmenting etcd member[<endpoint 1>]. took <d>\n"},
		{args: []string{"endpoint", "status", "-w", "json"}, every: true, status: true},
		{args: []string{"put", "small", "x"}, errOut: noSpace},
		{args: []string{"alarm", "disarm"}, out: nospaceID},
		{args: []string{"alarm", "list"}, out: ""},
		{args: []string{"alarm", "disarm"}, out: ""}, // nothing left to disarm
		{args: []string{"put", "small", "x"}, settle: true, out: "OK\n"},
		{args: []string{"endpoint", "health"}, every: true, out: healthy},
		{args: []string{"endpoint", "status", "-w", "json"}, every: true, status: true},
		{restart: true},
		{args: []string{"alarm", "list"}, out: ""},
		{args: []string{"get", "small"}, out: "small\nx\n"},
		{args: []string{"put", "small2", "y"}, out: "OK\n"},
		{args: []string{"get", "", "--prefix", "-w", "json"}},
		{args: []string{"endpoint", "health"}, every: true, out: healthy},
	}
	if !restarts {
		steps = slices.DeleteFunc(steps, func(s alarmStep) bool { return s.restart })
	}
	return steps
}

// Outputs that differ between two servers for reasons that have nothing to do with alarms.
var (
	memberIDText = regexp.MustCompile(`memberID:\d+`)
	tookText     = regexp.MustCompile(`(took (?:= )?)[0-9.]+[µnm]?s`)
)

// normalizeAlarmOutput replaces what names a server or measures time (the endpoints, member IDs
// in alarm texts, durations). `endpoint health` asks every endpoint at once and prints each
// answer as it comes, and the endpoints' numbers then say nothing: so its lines are sorted, with
// every endpoint as <endpoint 1>.
func normalizeAlarmOutput(s string, endpoints []string, args ...string) string {
	if slices.Equal(args, []string{"endpoint", "health"}) {
		for _, ep := range endpoints {
			s = strings.ReplaceAll(s, ep, "<endpoint 1>")
		}
	}
	for i, ep := range endpoints {
		s = strings.ReplaceAll(s, ep, fmt.Sprintf("<endpoint %d>", i+1))
	}
	s = memberIDText.ReplaceAllString(s, "memberID:<id>")
	s = tookText.ReplaceAllString(s, "${1}<d>")
	if slices.Equal(args, []string{"endpoint", "health"}) {
		lines := strings.SplitAfter(s, "\n")
		slices.Sort(lines)
		s = strings.Join(lines, "")
	}
	return s
}

// statusErrors picks the "errors" of every endpoint out of `endpoint status -w json`, in endpoint
// order, normalized.
func statusErrors(t *testing.T, out string, endpoints []string) []string {
	t.Helper()
	var st []struct {
		Endpoint string
		Status   struct {
			Errors []string `json:"errors"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &st), "endpoint status -w json should print a JSON array:\n%s", out)
	var errs []string
	for _, s := range st {
		errs = append(errs, normalizeAlarmOutput(fmt.Sprintf("%s: %q", s.Endpoint, s.Status.Errors), endpoints))
	}
	return errs
}

// runAlarmSteps runs steps with etcdctl against etcd's endpoints and ours, and requires the same
// stdout, stderr and exit status from both, once normalized.
func runAlarmSteps(t *testing.T, name string, etcd, ours []*harness.Process, etcdEps, oursEps []string, steps []alarmStep) {
	for i, step := range steps {
		if step.restart {
			for _, p := range append(slices.Clone(etcd), ours...) {
				p.Stop(t)
			}
			for _, p := range append(slices.Clone(etcd), ours...) {
				p.Restart(t)
			}
			continue
		}
		cmdline := "etcdctl " + strings.Join(step.args, " ")
		if step.stdin != "" && len(step.stdin) < 100 {
			cmdline += fmt.Sprintf(" <<< %q", step.stdin)
		}
		etcdTo, oursTo := etcdEps[:1], oursEps[:1]
		if step.every {
			etcdTo, oursTo = etcdEps, oursEps
		}
		ok := t.Run(fmt.Sprintf("%02d %s", i+1, strings.Join(step.args, " ")), func(t *testing.T) {
			wantOut, wantErr, wantCode := harness.Etcdctl(t, strings.Join(etcdTo, ","), step.stdin, step.args...)
			gotOut, gotErr, gotCode := harness.Etcdctl(t, strings.Join(oursTo, ","), step.stdin, step.args...)
			if step.settle {
				time.Sleep(etcdBatchCommit)
			}
			assert.Equal(t, wantCode, gotCode, "%s: exit status (stderr from %s: %s)", cmdline, name, gotErr)
			if step.status {
				require.Zero(t, wantCode, "%s against real etcd: %s", cmdline, wantErr)
				assert.Equal(t, statusErrors(t, wantOut, etcdEps), statusErrors(t, gotOut, oursEps),
					"%s: the alarms %s reports among its errors (+) should be real etcd's (-)", cmdline, name)
				return
			}
			if writeOut(step.args) == "json" && wantCode == 0 {
				var err error
				wantOut, err = harness.NormalizeJSON(wantOut)
				require.NoError(t, err, "%s against real etcd", cmdline)
				gotOut, err = harness.NormalizeJSON(gotOut)
				require.NoError(t, err, "%s against %s should print JSON", cmdline, name)
			}
			wantOut, gotOut = normalizeAlarmOutput(wantOut, etcdEps, step.args...), normalizeAlarmOutput(gotOut, oursEps, step.args...)
			wantErr, gotErr = normalizeAlarmOutput(wantErr, etcdEps, step.args...), normalizeAlarmOutput(gotErr, oursEps, step.args...)
			if len(etcdTo) == 1 && (step.out != "" || step.errOut != "") {
				require.Equal(t, step.out, wantOut, "%s against real etcd: the transcript is wrong, or etcdctl changed", cmdline)
				require.Equal(t, step.errOut, wantErr, "%s against real etcd: the transcript is wrong, or etcdctl changed", cmdline)
			}
			assert.Equal(t, wantOut, gotOut, "%s: %s's output (+) should equal real etcd's (-)", cmdline, name)
			assert.Equal(t, wantErr, gotErr, "%s: %s's errors (+) should equal real etcd's (-)", cmdline, name)
		})
		if !ok {
			t.FailNow() // the steps after one that differs test a different state
		}
	}
}

// TestChapter02FullStoreRecovery runs the full-store sequence against real etcd and chapter 02,
// both with a 1 MiB quota: the same refusals, the same alarm list and health, and the same
// recovery after delete, compact, defrag and disarm, before and after restarts.
func TestChapter02FullStoreRecovery(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcdCluster(t, 1, alarmQuota).Members[0]
	ours := startCh02(t, alarmQuota)
	runAlarmSteps(t, "chapter 02", []*harness.Process{etcd}, []*harness.Process{ours},
		[]string{etcd.Endpoint}, []string{ours.Endpoint}, fullStoreSteps(true))
}

// TestChapter02AlarmRequests sends AlarmRequests that etcdctl never sends to real etcd and to
// chapter 02: alarms for other members, of NONE, of a type this version does not know, and
// disarming what is not raised. The answers must be the same, headers aside.
func TestChapter02AlarmRequests(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcd(t)
	ours := startCh02(t)
	etcdM, oursM := pb.NewMaintenanceClient(harness.Dial(t, etcd.Endpoint)), pb.NewMaintenanceClient(harness.Dial(t, ours.Endpoint))
	etcdKV, oursKV := pb.NewKVClient(harness.Dial(t, etcd.Endpoint)), pb.NewKVClient(harness.Dial(t, ours.Endpoint))
	alarm := func(a pb.AlarmRequest_AlarmAction, id uint64, at pb.AlarmType) protoadapt.MessageV1 {
		return &pb.AlarmRequest{Action: a, MemberID: id, Alarm: at}
	}
	put := &pb.PutRequest{Key: []byte("k"), Value: []byte("v")}
	steps := []protoadapt.MessageV1{
		alarm(pb.AlarmRequest_GET, 0, pb.AlarmType_NONE),
		alarm(pb.AlarmRequest_ACTIVATE, 5, pb.AlarmType_NONE), // nothing to raise
		alarm(pb.AlarmRequest_ACTIVATE, 0, pb.AlarmType_NONE), // etcd-io/etcd#13084 crashed on this
		alarm(pb.AlarmRequest_ACTIVATE, 5, pb.AlarmType_NOSPACE),
		alarm(pb.AlarmRequest_ACTIVATE, 5, pb.AlarmType_NOSPACE), // again: the same alarm
		alarm(pb.AlarmRequest_GET, 0, pb.AlarmType_NOSPACE),
		put, // capped by another member's NOSPACE
		&pb.TxnRequest{Success: []*pb.RequestOp{opDelete("k", "")}},
		alarm(pb.AlarmRequest_ACTIVATE, 6, 7), // a type etcd does not know is kept
		alarm(pb.AlarmRequest_GET, 0, pb.AlarmType_NONE),
		alarm(pb.AlarmRequest_DEACTIVATE, 6, 7),
		alarm(pb.AlarmRequest_DEACTIVATE, 9, pb.AlarmType_NOSPACE), // not raised
		alarm(pb.AlarmRequest_DEACTIVATE, 5, pb.AlarmType_NOSPACE),
		put,
		alarm(pb.AlarmRequest_ACTIVATE, 5, pb.AlarmType_CORRUPT),
		put, // CORRUPT refuses every write
		&pb.DeleteRangeRequest{Key: []byte("k")},
		&pb.CompactionRequest{Revision: 2},
		&pb.RangeRequest{Key: []byte("k")}, // but not reads
		&pb.TxnRequest{Success: []*pb.RequestOp{opRange(&pb.RangeRequest{Key: []byte("k")})}},
		alarm(pb.AlarmRequest_DEACTIVATE, 5, pb.AlarmType_CORRUPT),
		put,
		alarm(pb.AlarmRequest_GET, 0, pb.AlarmType_NONE),
	}
	for i, req := range steps {
		ctx := ctxWithTimeout(t)
		var want, got protoadapt.MessageV1
		var wantErr, gotErr error
		if a, ok := req.(*pb.AlarmRequest); ok {
			wantA, wantAErr := etcdM.Alarm(ctx, a)
			gotA, gotAErr := oursM.Alarm(ctx, a)
			// etcd lists alarms from Go maps (AlarmStore.Get), in no fixed order: compare them as sets.
			sortAlarms(wantA)
			sortAlarms(gotA)
			want, wantErr = nilIfErr(wantA, wantAErr)
			got, gotErr = nilIfErr(gotA, gotAErr)
		} else {
			want, wantErr = sendKV(ctx, etcdKV, req)
			got, gotErr = sendKV(ctx, oursKV, req)
		}
		if d := answerDiff(want, wantErr, got, gotErr); d != "" {
			t.Fatalf("step %d, %T %s: chapter 02 answered differently from real etcd.\nreal etcd: %s\nchapter 02: %s\n%s",
				i+1, req, oneLine(req), answerText(want, wantErr), answerText(got, gotErr), d)
		}
	}
}

// sortAlarms puts the alarms of an AlarmResponse in (member ID, type) order.
func sortAlarms(r *pb.AlarmResponse) {
	if r == nil {
		return
	}
	slices.SortFunc(r.Alarms, func(a, b *pb.AlarmMember) int {
		return cmp.Or(cmp.Compare(a.MemberID, b.MemberID), cmp.Compare(a.Alarm, b.Alarm))
	})
}

// rawCodec sends a request that is encoded already, and decodes the answer as gRPC's proto codec
// does. A txn nested thousands deep takes the client seconds to encode with etcd's gogoproto
// types (every level sizes all the levels below it), so the test encodes it itself, once.
type rawCodec struct{}

func (rawCodec) Name() string { return grpcproto.Name }
func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return encoding.GetCodecV2(grpcproto.Name).Unmarshal(data, v)
}

// nestedTxn encodes a TxnRequest of levels levels, each the only operation of its parent's success
// branch, the innermost one holding the encoded RequestOps inner in its success branch.
func nestedTxn(levels int, inner ...[]byte) []byte {
	var txn []byte
	for _, op := range inner {
		txn = protowire.AppendBytes(protowire.AppendTag(txn, 2, protowire.BytesType), op) // success
	}
	for range levels - 1 {
		op := protowire.AppendBytes(protowire.AppendTag(nil, 4, protowire.BytesType), txn) // request_txn
		txn = protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), op)
	}
	return txn
}

// TestChapter02DeepTxn sends txns nested deeper and deeper to real etcd and chapter 02. etcd's
// gogoproto decodes any depth and answers checkTxnRequest's InvalidArgument; protobuf-go alone
// would stop at 5001 levels with Internal "proto: exceeded maximum recursion depth".
func TestChapter02DeepTxn(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcd(t)
	ours := startCh02(t)
	etcdConn, oursConn := harness.Dial(t, etcd.Endpoint), harness.Dial(t, ours.Endpoint)
	encode := func(op *pb.RequestOp) []byte {
		b, err := op.Marshal()
		require.NoError(t, err)
		return b
	}
	putOp, emptyKey := encode(opPut("deep", "v")), encode(opPut("", "v"))
	reqs := []struct {
		name string
		txn  []byte
	}{
		{"129 levels: fits --max-txn-ops 128", nestedTxn(129)},
		{"130 levels", nestedTxn(130)},
		{"5000 levels", nestedTxn(5000)},
		{"5001 levels, past protobuf's default limit", nestedTxn(5001)},
		{"20000 levels with a put at the bottom", nestedTxn(20000, putOp)},
		{"an empty key above 20000 levels", nestedTxn(1, emptyKey, protowire.AppendBytes(protowire.AppendTag(nil, 4, protowire.BytesType), nestedTxn(20000)))},
	}
	for _, req := range reqs {
		send := func(conn *grpc.ClientConn) (*pb.TxnResponse, error) {
			resp := &pb.TxnResponse{}
			err := conn.Invoke(ctxWithTimeout(t), "/etcdserverpb.KV/Txn", req.txn, resp, grpc.ForceCodecV2(rawCodec{}))
			return resp, err
		}
		want, wantErr := send(etcdConn)
		got, gotErr := send(oursConn)
		if wantErr == nil && gotErr == nil {
			// go-cmp (answerDiff) takes minutes over 129 nested responses; proto.Equal does not.
			assert.True(t, proto.Equal(protoadapt.MessageV2Of(harness.NormalizeHeaders(want)), protoadapt.MessageV2Of(harness.NormalizeHeaders(got))),
				"%s: chapter 02's response should be real etcd's", req.name)
			continue
		}
		if d := answerDiff(nil, wantErr, nil, gotErr); d != "" {
			t.Errorf("%s: chapter 02 answered differently from real etcd.\nreal etcd: %s\nchapter 02: %s\n%s",
				req.name, answerText(nil, wantErr), answerText(nil, gotErr), d)
		}
	}
}
