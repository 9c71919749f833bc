package etcdserver

import (
	"etcdwalk/chapters/01-rpc/config"
	"strings"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRaftEntrySizeMatchesEtcdsLimit(t *testing.T) {
	// etcd proposes InternalRaftRequest{header: {ID}, put: r}. For a put of key "big" and a value
	// of L bytes: the put is 1+1+3 (key) + 1+3+L (value) bytes, wrapped as field 4 (1 tag byte,
	// 3 length bytes), plus the header (2 tag bytes, 1 length, 1 ID tag, 10 ID bytes): L+27.
	// So with the default 1.5 MiB limit, etcd accepts L = 1572837 and refuses L = 1572838.
	put := func(l int) *pb.PutRequest {
		return &pb.PutRequest{Key: []byte("big"), Value: []byte(strings.Repeat("x", l))}
	}
	require.Equal(t, config.DefaultMaxRequestBytes, RaftEntrySize(put(1572837)))
	require.Equal(t, config.DefaultMaxRequestBytes+1, RaftEntrySize(put(1572838)))

	s := &EtcdServer{Cfg: ServerConfig{Limits: config.Limits{MaxRequestBytes: config.DefaultMaxRequestBytes}}}
	require.NoError(t, s.checkRequestSize(put(1572837)))
	require.Error(t, s.checkRequestSize(put(1572838)))
}
