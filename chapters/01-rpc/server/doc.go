// Package server is chapter 01's first etcd server: the generated KVServer interface implemented
// over an in-memory map, enough for etcdctl put, get, del and txn.
//
// Layer: the gRPC service (chapter 01). Corresponds to etcd v3.6
// server/etcdserver/api/v3rpc/key.go (kvServer), server/etcdserver/api/v3rpc/header.go, the
// store-facing part of server/etcdserver/txn/txn.go (executeRange, put, deleteRange, Txn with
// checkTxn), and server/etcdserver/api/v3rpc/grpc.go (registering the services). In etcd,
// kvServer validates and then calls EtcdServer, which goes through raft and the MVCC store; here
// the handler does the work itself on a map, so the whole request fits on one screen.
//
// What does not depend on the map is in packages of its own, which chapter 02 uses as well:
// etcdserver/api/v3rpc has etcd's check*Request validations, etcdserver/txn what a comparison and
// a range's sort, filters and limit mean once the keys are read.
//
// Read it in this order: server.go (what gets registered), kv.go (Put and DeleteRange), range.go
// (Range), txn.go and txn_apply.go (Txn), store.go (the map).
//
// Left out, each answered with a clear error rather than a wrong answer:
//   - history: the store keeps only the newest value of each key, so a Range at a past revision
//     gets etcd's "required revision has been compacted" and Compact is Unimplemented;
//   - leases: any lease ID is unknown (etcd's "requested lease not found");
//   - nested txns: Unimplemented;
//   - raft (cluster of one, raft_term 0), persistence (a restart forgets everything), quotas,
//     etcd's 1.5 MiB request limit (only gRPC's 2 MiB receive limit, as etcd sets it, applies), auth,
//     watch.
//
// Workshop exercises: Range (range.go) and Txn (txn_apply.go); their twins, built with the tag
// workshop_range, workshop_txn or workshop_01 (both), keep the signatures and a guided TODO.
package server
