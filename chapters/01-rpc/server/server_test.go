package server

import (
	"context"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testServer is a chapter 01 server on an in-memory connection, with clients for its services.
type testServer struct {
	kv      pb.KVClient
	cluster pb.ClusterClient
	maint   pb.MaintenanceClient
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	conn := servetest.Dial(t, NewGRPCServer(Config{Name: "test", ClientURLs: []string{"http://127.0.0.1:2379"}}))
	return &testServer{kv: pb.NewKVClient(conn), cluster: pb.NewClusterClient(conn), maint: pb.NewMaintenanceClient(conn)}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// put writes key=value and returns the revision the put created.
func (s *testServer) put(t *testing.T, key, value string) int64 {
	t.Helper()
	resp, err := s.kv.Put(ctx(t), &pb.PutRequest{Key: []byte(key), Value: []byte(value)})
	require.NoError(t, err, "put %q", key)
	return resp.Header.Revision
}

// requireStatus checks that err is the gRPC error want: same code, same message.
func requireStatus(t *testing.T, want, err error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, status.Convert(want).Code(), status.Convert(err).Code(), msgAndArgs...)
	require.Equal(t, status.Convert(want).Message(), status.Convert(err).Message(), msgAndArgs...)
}

func requireProtoEqual(t *testing.T, want, got proto.Message, msgAndArgs ...any) {
	t.Helper()
	if !proto.Equal(want, got) {
		require.Failf(t, "responses differ", "want %v\ngot  %v\n%v", want, got, msgAndArgs)
	}
}

func kv(key, value string, create, mod, version int64) *mvccpb.KeyValue {
	return &mvccpb.KeyValue{Key: []byte(key), Value: []byte(value), CreateRevision: create, ModRevision: mod, Version: version}
}

func TestHeaderIdentifiesMember(t *testing.T) {
	s := newTestServer(t)
	rev := s.put(t, "a", "1")

	ml, err := s.cluster.MemberList(ctx(t), &pb.MemberListRequest{})
	require.NoError(t, err)
	require.Len(t, ml.Members, 1, "a chapter 01 cluster is one member")
	m := ml.Members[0]
	require.Equal(t, "test", m.Name)
	require.Equal(t, []string{"http://127.0.0.1:2379"}, m.ClientURLs)
	require.Equal(t, m.ID, ml.Header.MemberId, "the header names the member that answered")
	require.NotZero(t, ml.Header.ClusterId)
	require.Equal(t, rev, ml.Header.Revision, "every header carries the current revision")

	st, err := s.maint.Status(ctx(t), &pb.StatusRequest{})
	require.NoError(t, err)
	require.Equal(t, m.ID, st.Leader, "a single member is its own leader")
	require.Equal(t, Version, st.Version)
	require.GreaterOrEqual(t, st.DbSize, int64(minDBSize), "etcdctl's endpoint status table divides by dbSize")
}
