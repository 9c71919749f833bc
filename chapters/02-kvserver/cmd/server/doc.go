// Command server runs chapter 02's etcd: kvServer → EtcdServer → the MVCC store on bbolt, one
// member, data kept in --data-dir across restarts.
//
//	go run ./cmd/server --trace                     # serves http://localhost:2379
//	etcdctl --endpoints=http://localhost:2379 put foo bar
//	etcdctl --endpoints=http://localhost:2379 get foo --rev=2
//
// Layer: the process around EtcdServer (chapter 02); a small version of etcd v3.6 server/etcdmain
// and server/embed. The flags are etcd's: --name, --data-dir, --listen-client-urls,
// --advertise-client-urls, --quota-backend-bytes, --max-txn-ops, --max-request-bytes, plus --trace.
// Left out: TLS, peers (there is no raft yet), and every other etcd flag.
package main
