// Package interop checks every chapter's server against the real thing: the official etcd client
// (go.etcd.io/etcd/client/v3), etcdctl, and a real etcd v3.6.16 started next to it.
//
// All of it is tests (chNN_test.go, one file per chapter) on top of package harness, which builds
// the binaries and runs the servers as separate processes; harness's documentation explains why
// they cannot share one binary and how to add a chapter. Run it with
//
//	go test -race etcdwalk/interop/...
package interop
