package serve

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseClientURLs(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "http://localhost:2379", want: []string{"localhost:2379"}},
		{in: "http://127.0.0.1:2379,http://127.0.0.1:22379", want: []string{"127.0.0.1:2379", "127.0.0.1:22379"}},
		{in: "https://localhost:2379", wantErr: "only http:// URLs"},
		{in: "http://localhost", wantErr: "a port is required"},
		{in: "http://localhost:2379/v3", wantErr: "no path"},
		{in: "localhost:2379", wantErr: "only http:// URLs"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseClientURLs(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
