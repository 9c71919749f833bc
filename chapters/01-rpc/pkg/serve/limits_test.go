package serve

import (
	"testing"

	"etcdwalk/chapters/01-rpc/config"

	"github.com/stretchr/testify/require"
)

func TestLimitFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    config.Limits
		wantErr string
	}{
		{nil, config.Limits{MaxTxnOps: 128, MaxRequestBytes: 1572864}, ""},
		{[]string{"--max-txn-ops", "3", "--max-request-bytes", "100", "--quota-backend-bytes", "-1"}, config.Limits{MaxTxnOps: 3, MaxRequestBytes: 100, QuotaBackendBytes: -1}, ""},
		{[]string{"--max-txn-ops", "0"}, config.Limits{}, "--max-txn-ops must be at least 1"},
		{[]string{"--max-request-bytes", "0"}, config.Limits{}, "--max-request-bytes must be at least 1"},
	}
	for _, tt := range tests {
		fs := FlagSet("test")
		l := LimitFlags(fs)
		err := Parse(fs, tt.args, l)
		if tt.wantErr != "" {
			require.EqualError(t, err, tt.wantErr, "args %v", tt.args)
			continue
		}
		require.NoError(t, err, "args %v", tt.args)
		require.Equal(t, tt.want, l.Limits, "args %v: etcd's defaults are 128 ops and 1.5 MiB; a zero quota means etcd's 2 GiB", tt.args)
	}
}
