// Package txn applies KV requests to the MVCC store: what a Range, Put, DeleteRange or Txn means,
// once validated, in terms of store transactions.
//
// Layer: the apply layer under EtcdServer (chapter 02; chapter 03's apply loop calls the same
// functions for each committed raft entry). Corresponds to etcd v3.6
// server/etcdserver/txn/txn.go (Put, DeleteRange, Range, Txn, executeRange, checkTxn,
// compareToPath, applyCompare, compareKV) and the sort and prune helpers there.
//
// Left out: leases (the only lease is "none": a put naming a lease gets ErrLeaseNotFound, as etcd
// answers for a lease it does not have), auth checks, metrics and slow-request warnings.
//
// Workshop exercise: TxnCompare (compare.go).
package txn
