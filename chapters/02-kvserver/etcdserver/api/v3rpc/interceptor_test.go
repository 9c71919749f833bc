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

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// withLeader is chapter 02's member as a raft member would look to the gRPC layer: it knows a
// leader, or none.
type withLeader struct {
	*etcdserver.EtcdServer
	lead atomic.Uint64
}

func (w *withLeader) Lead() uint64 { return w.lead.Load() }

// A request that asks for a leader fails at once with etcd's "no leader" while the member knows
// none; without the metadata, or with a leader known, it is served.
func TestRequireLeader(t *testing.T) {
	s, err := etcdserver.NewServer(etcdserver.ServerConfig{Name: "t", DataDir: t.TempDir(), ClientURLs: []string{"http://127.0.0.1:2379"}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Stop()) })
	w := &withLeader{EtcdServer: s}
	kv := pb.NewKVClient(servetest.Dial(t, Server(w, false, nil)))

	tests := []struct {
		name    string
		lead    uint64
		md      []string
		wantErr error
	}{
		{"no leader, hasleader=true", 0, []string{rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader}, rpctypes.ErrGRPCNoLeader},
		{"no leader, no metadata", 0, nil, nil},
		{"no leader, hasleader=false", 0, []string{rpctypes.MetadataRequireLeaderKey, "false"}, nil},
		{"a leader, hasleader=true", 7, []string{rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.lead.Store(tt.lead)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if tt.md != nil {
				ctx = metadata.AppendToOutgoingContext(ctx, tt.md...)
			}
			_, err := kv.Range(ctx, &pb.RangeRequest{Key: []byte("k")})
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			want := status.Convert(tt.wantErr)
			require.Equal(t, want.Code(), status.Code(err))
			require.Equal(t, want.Message(), status.Convert(err).Message())
		})
	}
}
