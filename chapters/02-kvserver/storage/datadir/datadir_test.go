package datadir

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// etcd v3.6 started with --data-dir d writes d/member/snap/db and d/member/wal/*.wal; tools such as
// etcdutl look for them there.
func TestLayoutAsEtcd(t *testing.T) {
	require.Equal(t, "d/member", ToMemberDir("d"))
	require.Equal(t, "d/member/snap", ToSnapDir("d"))
	require.Equal(t, "d/member/snap/db", ToBackendFileName("d"), "the bbolt file")
	require.Equal(t, "d/member/wal", ToWALDir("d"))
}
