package datadir

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// etcd v3.6 started with --data-dir d writes d/member/snap/db and d/member/wal/*.wal; tools such as
// etcdutl look for them there.
func TestLayoutAsEtcd(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"member dir", ToMemberDir("d"), "d/member"},
		{"snap dir", ToSnapDir("d"), "d/member/snap"},
		{"backend file", ToBackendFileName("d"), "d/member/snap/db"},
		{"wal dir", ToWALDir("d"), "d/member/wal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { require.Equal(t, tt.want, tt.got) })
	}
}
