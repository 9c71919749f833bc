package main

import (
	"testing"

	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"
)

// The URL flags themselves are tested with serve.ClientURLFlags; this checks that run parses them.
func TestRunRejectsBadFlags(t *testing.T) {
	servetest.RefusesBadFlags(t, run, servetest.FlagCase{Name: "bad listen URL", Args: []string{"--listen-client-urls", "https://x:1"}, WantErr: "--listen-client-urls"})
}
