package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLimitsWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Limits
		want Limits
	}{
		{"zero takes etcd's defaults", Limits{}, Limits{MaxTxnOps: 128, MaxRequestBytes: 1572864, QuotaBackendBytes: 2147483648}},
		{"set fields are kept", Limits{MaxTxnOps: 3, MaxRequestBytes: 10, QuotaBackendBytes: 1 << 20}, Limits{MaxTxnOps: 3, MaxRequestBytes: 10, QuotaBackendBytes: 1 << 20}},
		{"a negative quota means none and is kept", Limits{QuotaBackendBytes: -1}, Limits{MaxTxnOps: 128, MaxRequestBytes: 1572864, QuotaBackendBytes: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.in.WithDefaults(), "etcd v3.6 defaults: --max-txn-ops 128, --max-request-bytes 1.5 MiB, --quota-backend-bytes 2 GiB")
		})
	}
	require.Equal(t, 1572864+524288, Limits{}.WithDefaults().MaxRecvMsgSize(), "etcd's gRPC receive limit is --max-request-bytes plus 512 KiB")
}
