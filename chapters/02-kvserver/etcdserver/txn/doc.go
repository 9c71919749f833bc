// Package txn applies KV requests to the MVCC store: what a Range, Put, DeleteRange or Txn means,
// once validated, in terms of store transactions.
//
// Layer: the apply layer under EtcdServer (chapter 02; chapter 03's apply loop calls the same
// functions for each committed raft entry). Corresponds to etcd v3.6
// server/etcdserver/txn/txn.go (Put, DeleteRange, Range, Txn, executeRange, checkTxn,
// compareToPath, applyCompare).
//
// The rules that do not depend on the store are chapter 01's etcdserver/txn (imported as txn01),
// shared with chapter 01's map server: what a comparison holds for once its keys are read
// (CompareKVs, etcd's compareKV), how many keys a range reads (FetchLimit), and its revision
// filters, sort, limit and keys_only (SelectKVs, etcd's pruneKVs and kvSortBy*). This package
// does the reads, at the right revision and with "\x00" as no upper bound, and the txn's path
// through nested txns.
//
// Left out: leases (the only lease is "none": a put naming a lease gets ErrLeaseNotFound, as etcd
// answers for a lease it does not have), auth checks, metrics and slow-request warnings.
package txn
