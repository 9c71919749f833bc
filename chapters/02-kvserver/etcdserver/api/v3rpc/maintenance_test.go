package v3rpc

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"
	"etcdwalk/chapters/02-kvserver/etcdserver"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// member is a chapter 02 server on dir, over an in-memory gRPC connection, with a quota of
// 256 KiB; stop stops it, so that the test can start another one on the same directory.
type member struct {
	s     *etcdserver.EtcdServer
	kv    pb.KVClient
	maint pb.MaintenanceClient
	stop  func()
}

func startMember(t *testing.T, dir string) *member {
	t.Helper()
	s, err := etcdserver.NewServer(etcdserver.ServerConfig{Name: "t", DataDir: dir, ClientURLs: []string{"http://127.0.0.1:2379"},
		Limits: config.Limits{QuotaBackendBytes: 256 << 10}})
	require.NoError(t, err)
	gs := Server(s, false, nil)
	conn := servetest.Dial(t, gs)
	m := &member{s: s, kv: pb.NewKVClient(conn), maint: pb.NewMaintenanceClient(conn)}
	stopped := false
	m.stop = func() {
		if !stopped {
			stopped = true
			conn.Close()
			gs.Stop()
			require.NoError(t, s.Stop())
		}
	}
	t.Cleanup(m.stop)
	return m
}

func (m *member) alarms(t *testing.T, ctx context.Context) []*pb.AlarmMember {
	t.Helper()
	resp, err := m.maint.Alarm(ctx, &pb.AlarmRequest{Action: pb.AlarmRequest_GET})
	require.NoError(t, err)
	require.Equal(t, m.s.MemberID(), resp.Header.MemberId, "the alarm response has a header")
	return resp.Alarms
}

// TestFullStoreRecoversAsEtcds fills the store to its quota and takes it back, as etcd's
// operators do: the write that does not fit raises NOSPACE, puts are refused from then on (also
// after a restart), deletes and compactions go through, defragmenting gives the space back, and
// disarming the alarm lets puts in again.
func TestFullStoreRecoversAsEtcds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	m := startMember(t, dir)
	noSpace := []*pb.AlarmMember{{MemberID: m.s.MemberID(), Alarm: pb.AlarmType_NOSPACE}}
	requireAlarms := func(m *member, want []*pb.AlarmMember, msg string) {
		t.Helper()
		got := m.alarms(t, ctx)
		require.Len(t, got, len(want), msg)
		for i := range want {
			require.True(t, proto.Equal(want[i], got[i]), "%s: %v, want %v", msg, got[i], want[i])
		}
	}
	requireAlarms(m, nil, "a fresh store has no alarm")

	var filled int
	for filled = 0; filled < 100; filled++ {
		_, err := m.kv.Put(ctx, &pb.PutRequest{Key: fmt.Appendf(nil, "k%03d", filled), Value: make([]byte, 20<<10)})
		if err != nil {
			require.Equal(t, rpctypes.ErrGRPCNoSpace.Error(), err.Error(), "a put over the quota: database space exceeded")
			break
		}
	}
	require.Less(t, filled, 100, "20 KiB puts fill a 256 KiB quota")
	requireAlarms(m, noSpace, "the refused put raised this member's NOSPACE alarm")
	st, err := m.maint.Status(ctx, &pb.StatusRequest{})
	require.NoError(t, err)
	require.Equal(t, []string{fmt.Sprintf("memberID:%d alarm:NOSPACE ", m.s.MemberID())}, st.Errors, "Status lists the alarm as etcd's gogoproto text")

	_, err = m.kv.Put(ctx, &pb.PutRequest{Key: []byte("small"), Value: []byte("x")})
	require.Equal(t, rpctypes.ErrGRPCNoSpace.Error(), err.Error(), "with NOSPACE raised even a put that fits is refused")

	m.stop()
	m = startMember(t, dir)
	requireAlarms(m, noSpace, "after a restart the alarm is still raised")
	_, err = m.kv.Put(ctx, &pb.PutRequest{Key: []byte("small"), Value: []byte("x")})
	require.Equal(t, rpctypes.ErrGRPCNoSpace.Error(), err.Error(), "and puts are still refused")
	_, err = m.kv.Txn(ctx, &pb.TxnRequest{Success: []*pb.RequestOp{put("small")}})
	require.Equal(t, rpctypes.ErrGRPCNoSpace.Error(), err.Error(), "so are txns that put")

	del, err := m.kv.DeleteRange(ctx, &pb.DeleteRangeRequest{Key: []byte("k"), RangeEnd: []byte("l")})
	require.NoError(t, err, "deletes make room: they are never refused")
	require.Equal(t, int64(filled), del.Deleted)
	_, err = m.kv.Compact(ctx, &pb.CompactionRequest{Revision: del.Header.Revision, Physical: true})
	require.NoError(t, err, "compactions make room too")
	before, err := m.maint.Status(ctx, &pb.StatusRequest{})
	require.NoError(t, err)
	_, err = m.maint.Defragment(ctx, &pb.DefragmentRequest{})
	require.NoError(t, err)
	after, err := m.maint.Status(ctx, &pb.StatusRequest{})
	require.NoError(t, err)
	require.Less(t, after.DbSize, before.DbSize/4, "defragmenting gives the free pages back: the size the quota checks shrinks")
	_, err = m.kv.Put(ctx, &pb.PutRequest{Key: []byte("small"), Value: []byte("x")})
	require.Equal(t, rpctypes.ErrGRPCNoSpace.Error(), err.Error(), "room is not enough: the alarm still caps the store")

	disarm, err := m.maint.Alarm(ctx, &pb.AlarmRequest{Action: pb.AlarmRequest_DEACTIVATE, MemberID: m.s.MemberID(), Alarm: pb.AlarmType_NOSPACE})
	require.NoError(t, err)
	require.Len(t, disarm.Alarms, 1, "disarming answers with the alarm it cleared")
	requireAlarms(m, nil, "disarmed")
	_, err = m.kv.Put(ctx, &pb.PutRequest{Key: []byte("small"), Value: []byte("x")})
	require.NoError(t, err, "the store takes writes again")

	m.stop()
	m = startMember(t, dir)
	requireAlarms(m, nil, "the disarm survives a restart")
	_, err = m.kv.Put(ctx, &pb.PutRequest{Key: []byte("small2"), Value: []byte("y")})
	require.NoError(t, err, "and so does the store's room")
	rr, err := m.kv.Range(ctx, &pb.RangeRequest{Key: []byte("s"), RangeEnd: []byte("t")})
	require.NoError(t, err)
	require.Equal(t, int64(2), rr.Count, "both small puts are there")
}

func TestMaintenanceAlarmRequests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := startMember(t, t.TempDir())
	tests := []struct {
		name    string
		req     *pb.AlarmRequest
		want    []*pb.AlarmMember
		wantErr error
	}{
		{"raise for another member", &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: 5, Alarm: pb.AlarmType_NOSPACE}, []*pb.AlarmMember{{MemberID: 5, Alarm: pb.AlarmType_NOSPACE}}, nil},
		{"raise it again", &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: 5, Alarm: pb.AlarmType_NOSPACE}, []*pb.AlarmMember{{MemberID: 5, Alarm: pb.AlarmType_NOSPACE}}, nil},
		{"raise NONE: nothing", &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: 5}, nil, nil},
		{"list NOSPACE", &pb.AlarmRequest{Action: pb.AlarmRequest_GET, Alarm: pb.AlarmType_NOSPACE}, []*pb.AlarmMember{{MemberID: 5, Alarm: pb.AlarmType_NOSPACE}}, nil},
		{"list CORRUPT", &pb.AlarmRequest{Action: pb.AlarmRequest_GET, Alarm: pb.AlarmType_CORRUPT}, nil, nil},
		{"disarm another member's", &pb.AlarmRequest{Action: pb.AlarmRequest_DEACTIVATE, MemberID: 6, Alarm: pb.AlarmType_NOSPACE}, nil, nil},
		{"disarm it", &pb.AlarmRequest{Action: pb.AlarmRequest_DEACTIVATE, MemberID: 5, Alarm: pb.AlarmType_NOSPACE}, []*pb.AlarmMember{{MemberID: 5, Alarm: pb.AlarmType_NOSPACE}}, nil},
		{"an unknown action is refused (etcd v3.6.16 crashes on it)", &pb.AlarmRequest{Action: 3}, nil, status.Error(codes.InvalidArgument, "etcdserver: unknown alarm action")},
	}
	for _, tt := range tests {
		resp, err := m.maint.Alarm(ctx, tt.req)
		if tt.wantErr != nil {
			require.Equal(t, tt.wantErr.Error(), err.Error(), tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		require.Len(t, resp.Alarms, len(tt.want), tt.name)
		for i := range tt.want {
			require.True(t, proto.Equal(tt.want[i], resp.Alarms[i]), "%s: %v, want %v", tt.name, resp.Alarms[i], tt.want[i])
		}
	}

	_, err := m.maint.Alarm(ctx, &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: 5, Alarm: pb.AlarmType_CORRUPT})
	require.NoError(t, err)
	_, err = m.kv.Put(ctx, &pb.PutRequest{Key: []byte("k")})
	require.Equal(t, rpctypes.ErrGRPCCorrupt.Error(), err.Error(), "with CORRUPT raised, etcd refuses every write")
	_, err = m.kv.Range(ctx, &pb.RangeRequest{Key: []byte("k")})
	require.NoError(t, err, "and still serves reads")
}

// TestDeepTxnOverGRPC sends txns nested past protobuf's recursion limit through a real gRPC
// server: etcd's InvalidArgument, not the codec's Internal.
func TestDeepTxnOverGRPC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := startMember(t, t.TempDir())
	for _, depth := range []int{130, 5001, 40000} {
		_, err := m.kv.Txn(ctx, chain(depth, put("deep")))
		require.Equal(t, rpctypes.ErrGRPCTooManyOps.Error(), err.Error(), "a txn %d levels deep", depth)
	}
	_, err := m.kv.Txn(ctx, chain(129))
	require.NoError(t, err, "129 levels around an empty txn fit 128 operations")
}
