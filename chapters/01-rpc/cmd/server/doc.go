// Command server runs chapter 01's etcd server: the KV, Cluster and Maintenance services over an
// in-memory map, on etcd's client port.
//
//	go run ./cmd/server --trace              # serves http://localhost:2379
//	etcdctl --endpoints=http://localhost:2379 put foo bar
//
// Layer: the process around the gRPC service (chapter 01); a first, tiny version of etcd v3.6
// server/etcdmain and server/embed (flags, listeners, serving, shutdown on SIGINT/SIGTERM).
//
// The flags take etcd's names where etcd has the same setting: --name, --listen-client-urls,
// --advertise-client-urls. --trace logs every request's steps. Left out: TLS, peer URLs, a data
// directory (everything lives in memory: a restart starts from an empty store at revision 1).
package main
