package main

import (
	"flag"
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
			got, err := parseClientURLs(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"help", []string{"--help"}, flag.ErrHelp.Error()},
		{"unknown flag", []string{"--data-dirr", "x"}, "flag provided but not defined"},
		{"stray argument", []string{"serve"}, `unexpected argument "serve"`},
		{"bad listen URL", []string{"--listen-client-urls", "https://x:1"}, "--listen-client-urls"},
		{"bad advertise URL", []string{"--advertise-client-urls", "x"}, "--advertise-client-urls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, run(tt.args), tt.wantErr, "run must refuse %v before serving anything", tt.args)
		})
	}
}
