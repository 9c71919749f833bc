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
