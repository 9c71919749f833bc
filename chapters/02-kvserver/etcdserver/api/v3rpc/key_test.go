package v3rpc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"
	"etcdwalk/chapters/02-kvserver/etcdserver"
	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/storage"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func put(k string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(k)}}}
}

func del(k, end string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte(k), RangeEnd: []byte(end)}}}
}

func nested(then, els []*pb.RequestOp) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{Success: then, Failure: els}}}
}

func ops(o ...*pb.RequestOp) []*pb.RequestOp { return o }

func TestCheckIntervals(t *testing.T) {
	tests := []struct {
		name    string
		reqs    []*pb.RequestOp
		wantDup bool
	}{
		{"distinct puts", ops(put("a"), put("b")), false},
		{"same key twice", ops(put("a"), put("a")), true},
		{"put in a deleted range", ops(del("a", "c"), put("b")), true},
		{"put before the delete of its key", ops(put("b"), del("b", "")), true},
		{"put at the end of a deleted range is outside it", ops(del("a", "c"), put("c")), false},
		{"overlapping deletes", ops(del("a", "c"), del("b", "d")), false},
		{"put after a from-key delete (refused as in etcd-io/etcd#22395)", ops(del("a", "\x00"), put("b")), true},
		{"put before a from-key delete", ops(put("b"), del("a", "\x00")), true},
		{"put below a from-key delete", ops(del("b", "\x00"), put("a")), false},
		{"nested: same key in both branches", ops(nested(ops(put("a")), ops(put("a")))), false},
		{"nested then outer put", ops(nested(ops(put("a")), nil), put("a")), true},
		{"nested else against outer put", ops(put("a"), nested(nil, ops(put("a")))), true},
		{"nested put inside an outer delete", ops(del("a", "z"), nested(ops(put("k")), nil)), true},
		{"nested delete against an outer put", ops(nested(ops(del("a", "z")), nil), put("k")), true},
		{"two nested txns putting the same key", ops(nested(ops(put("a")), nil), nested(nil, ops(put("a")))), true},
		{"nested duplicate inside", ops(nested(ops(put("a"), put("a")), nil)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := checkIntervals(tt.reqs)
			if tt.wantDup {
				require.Equal(t, rpctypes.ErrGRPCDuplicateKey, err, "etcd refuses this txn as writing a key twice")
			} else {
				require.NoError(t, err, "etcd accepts this txn")
			}
		})
	}
}

func TestTogRPCError(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{mvcc.ErrCompacted, rpctypes.ErrGRPCCompacted},
		{mvcc.ErrFutureRev, rpctypes.ErrGRPCFutureRev},
		{etcderr.ErrRequestTooLarge, rpctypes.ErrGRPCRequestTooLarge},
		{etcderr.ErrLeaseNotFound, rpctypes.ErrGRPCLeaseNotFound},
		{etcderr.ErrKeyNotFound, rpctypes.ErrGRPCKeyNotFound},
		{etcderr.ErrStopped, rpctypes.ErrGRPCStopped},
		{etcderr.ErrNoSpace, rpctypes.ErrGRPCNoSpace},
		{etcderr.ErrCorrupt, rpctypes.ErrGRPCCorrupt},
		{context.Canceled, context.Canceled},
		{errors.New("disk on fire"), status.Error(codes.Unknown, "disk on fire")},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want.Error(), togRPCError(tt.err).Error(), "gRPC error for %v", tt.err)
	}
}

type fixedSize int64

func (f fixedSize) Size() int64 { return int64(f) }

// recordingAlarmer records the alarm requests the quota sends.
type recordingAlarmer struct{ reqs []*pb.AlarmRequest }

func (r *recordingAlarmer) Alarms() []*pb.AlarmMember { return nil }
func (r *recordingAlarmer) Alarm(_ context.Context, req *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	r.reqs = append(r.reqs, req)
	return &pb.AlarmResponse{}, nil
}

func TestQuotaRefusesWritesThatDoNotFit(t *testing.T) {
	inner := pb.UnimplementedKVServer{} // answers Unimplemented: "the request got through"
	big := func(n int) *pb.RequestOp {
		return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("k"), Value: make([]byte, n)}}}
	}
	tests := []struct {
		name    string
		quota   int64
		send    func(pb.KVServer) error
		refused bool
	}{
		{"1000 + 256 + 101 < 1400 fits", 1400, func(q pb.KVServer) error {
			_, err := q.Put(context.Background(), &pb.PutRequest{Key: []byte("k"), Value: make([]byte, 100)})
			return err
		}, false},
		{"1000 + 256 + 201 does not fit", 1400, func(q pb.KVServer) error {
			_, err := q.Put(context.Background(), &pb.PutRequest{Key: []byte("k"), Value: make([]byte, 200)})
			return err
		}, true},
		{"a txn costs its costlier branch", 1400, func(q pb.KVServer) error {
			_, err := q.Txn(context.Background(), &pb.TxnRequest{Success: ops(put("a")), Failure: ops(big(200))})
			return err
		}, true},
		{"a txn without puts costs nothing", 1000, func(q pb.KVServer) error {
			_, err := q.Txn(context.Background(), &pb.TxnRequest{Success: ops(del("a", ""))})
			return err
		}, false},
		{"reads are never refused", 1000, func(q pb.KVServer) error {
			_, err := q.Range(context.Background(), &pb.RangeRequest{Key: []byte("k")})
			return err
		}, false},
		{"a negative quota means no quota", -1, func(q pb.KVServer) error {
			_, err := q.Put(context.Background(), &pb.PutRequest{Key: []byte("k"), Value: make([]byte, 1<<20)})
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &recordingAlarmer{}
			err := tt.send(NewQuotaKVServer(inner, storage.NewBackendQuota(tt.quota, fixedSize(1000)), a, 7))
			if !tt.refused {
				require.Equal(t, codes.Unimplemented, status.Code(err), "the request should get through the quota")
				require.Empty(t, a.reqs, "a request that fits raises no alarm")
				return
			}
			require.Equal(t, rpctypes.ErrGRPCNoSpace, err, "etcd refuses a write over the quota with database space exceeded")
			require.Len(t, a.reqs, 1, "a refused write raises the NOSPACE alarm, as etcd's quotaAlarmer does")
			require.Equal(t, pb.AlarmRequest_ACTIVATE, a.reqs[0].Action)
			require.Equal(t, pb.AlarmType_NOSPACE, a.reqs[0].Alarm)
			require.Equal(t, uint64(7), a.reqs[0].MemberID, "the alarm names this member")
		})
	}
}

// TestServerEndToEnd drives the whole chapter over gRPC: kvServer, quota, EtcdServer, store.
func TestServerEndToEnd(t *testing.T) {
	s, err := etcdserver.NewServer(etcdserver.ServerConfig{Name: "t", DataDir: t.TempDir(), ClientURLs: []string{"http://127.0.0.1:2379"}, Limits: config.Limits{MaxRequestBytes: 1024}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Stop(), "the server stops cleanly once gRPC has") })
	conn := servetest.Dial(t, Server(s, false, nil))
	kv := pb.NewKVClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	resp, err := kv.Put(ctx, &pb.PutRequest{Key: []byte("foo"), Value: []byte("bar")})
	require.NoError(t, err)
	require.Equal(t, int64(2), resp.Header.Revision)
	require.Equal(t, s.MemberID(), resp.Header.MemberId)
	require.Equal(t, s.ClusterID(), resp.Header.ClusterId)

	_, err = kv.Put(ctx, &pb.PutRequest{Key: []byte("big"), Value: []byte(strings.Repeat("x", 2000))})
	require.Equal(t, rpctypes.ErrGRPCRequestTooLarge.Error(), err.Error(), "over --max-request-bytes")

	_, err = kv.Put(ctx, &pb.PutRequest{Key: []byte("k"), Lease: 5})
	require.Equal(t, rpctypes.ErrGRPCLeaseNotFound.Error(), err.Error())

	_, err = kv.Compact(ctx, &pb.CompactionRequest{Revision: 2, Physical: true})
	require.NoError(t, err)
	_, err = kv.Range(ctx, &pb.RangeRequest{Key: []byte("foo"), Revision: 1})
	require.Equal(t, rpctypes.ErrGRPCCompacted.Error(), err.Error())

	st, err := pb.NewMaintenanceClient(conn).Status(ctx, &pb.StatusRequest{})
	require.NoError(t, err)
	require.Positive(t, st.DbSize, "Status reports the bbolt file size")
	require.Equal(t, int64(config.DefaultQuotaBytes), st.DbSizeQuota)
}
