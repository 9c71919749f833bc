package v3rpc

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"
	"etcdwalk/chapters/02-kvserver/etcdserver"
	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"
)

// withReadBarrier is chapter 02's member with a read barrier that always fails, as a member that
// cannot reach its leader would.
type withReadBarrier struct {
	*etcdserver.EtcdServer
	calls atomic.Int32
}

func (w *withReadBarrier) LinearizableReadNotify(context.Context) error {
	w.calls.Add(1)
	return etcderr.ErrTimeout
}

// A linearizable MemberList waits for the member's read barrier and fails with its error, as
// etcd's does; a serializable one answers at once.
func TestMemberListLinearizable(t *testing.T) {
	s, err := etcdserver.NewServer(etcdserver.ServerConfig{Name: "t", DataDir: t.TempDir(), ClientURLs: []string{"http://127.0.0.1:2379"}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Stop()) })
	w := &withReadBarrier{EtcdServer: s}
	cl := pb.NewClusterClient(servetest.Dial(t, Server(w, false, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	resp, err := cl.MemberList(ctx, &pb.MemberListRequest{})
	require.NoError(t, err)
	require.Len(t, resp.Members, 1)
	require.Zero(t, w.calls.Load(), "a serializable member list does not wait for the barrier")

	_, err = cl.MemberList(ctx, &pb.MemberListRequest{Linearizable: true})
	want := status.Convert(rpctypes.ErrGRPCTimeout)
	require.Equal(t, want.Code(), status.Code(err))
	require.Equal(t, want.Message(), status.Convert(err).Message())
	require.Equal(t, int32(1), w.calls.Load())
}
