// Package txn holds what a Range and a Txn comparison mean once the key-value pairs are read: the
// rules that do not depend on how a store keeps its keys, written once for every chapter.
//
// Layer: the apply layer's pure rules (chapter 01; chapter 01's map server and chapter 02's apply
// layer over the MVCC store both call them). Corresponds to the store-independent half of etcd
// v3.6 server/etcdserver/txn/txn.go: compareKV and the loop of applyCompare (compare.go), and in
// executeRange the limit sent down to the index, pruneKVs, the kvSortBy* types with sort.Sort, the
// limit with its "more" flag, and keys_only (range.go).
//
// Each chapter does its own read: chapter 01 from a map, chapter 02 through an MVCC read view,
// and hands the pairs to CompareKVs or SelectKVs. etcd has one store, so its applyCompare and
// executeRange read and decide in one function; they are split here so that no chapter repeats
// the rules.
//
// Left out: everything that touches a store (Put, DeleteRange, Txn, the revision checks), which
// each chapter's own layer does.
package txn
