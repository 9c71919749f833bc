package main

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"help", []string{"--help"}, flag.ErrHelp.Error()},
		{"stray argument", []string{"serve"}, `unexpected argument "serve"`},
		{"election shorter than five heartbeats", []string{"--heartbeat-interval", "100", "--election-timeout", "300"}, "at least 5 times"},
		{"no txn ops", []string{"--max-txn-ops", "0"}, "--max-txn-ops"},
		{"https URL", []string{"--listen-client-urls", "https://127.0.0.1:1"}, "only http://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, run(tt.args), tt.wantErr, "run must refuse %v before serving anything", tt.args)
		})
	}
}
