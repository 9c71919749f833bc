package main

import (
	"testing"

	"etcdwalk/chapters/01-rpc/pkg/serve/servetest"
)

// Every case is refused before a member starts or a directory is made.
func TestRunRejectsBadFlags(t *testing.T) {
	servetest.RefusesBadFlags(t, run,
		servetest.FlagCase{Name: "election shorter than five heartbeats", Args: []string{"--heartbeat-interval", "100", "--election-timeout", "300"}, WantErr: "at least 5 times"},
		servetest.FlagCase{Name: "no heartbeat", Args: []string{"--heartbeat-interval", "0"}, WantErr: "at least 5 times"},
		servetest.FlagCase{Name: "no txn ops", Args: []string{"--max-txn-ops", "0"}, WantErr: "--max-txn-ops must be at least 1"},
		servetest.FlagCase{Name: "https URL", Args: []string{"--listen-client-urls", "https://127.0.0.1:1"}, WantErr: "only http://"},
	)
}
