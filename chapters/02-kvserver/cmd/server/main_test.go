package main

import (
	"testing"

	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"
)

// Every case is refused before the data directory is opened, so none of them creates one.
func TestRunRejectsBadFlags(t *testing.T) {
	servetest.RefusesBadFlags(t, run,
		servetest.FlagCase{Name: "bad listen URL", Args: []string{"--listen-client-urls", "http://x"}, WantErr: "--listen-client-urls"},
		servetest.FlagCase{Name: "no txn operations", Args: []string{"--max-txn-ops", "0"}, WantErr: "--max-txn-ops must be at least 1"},
		servetest.FlagCase{Name: "no request bytes", Args: []string{"--max-request-bytes", "0"}, WantErr: "--max-request-bytes must be at least 1"},
		servetest.FlagCase{Name: "a negative txn limit", Args: []string{"--max-txn-ops", "-1"}, WantErr: "invalid value"},
	)
}
