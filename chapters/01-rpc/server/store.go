package server

import (
	"bytes"
	"slices"
	"sync"

	"etcdwalk/chapters/01-rpc/api/mvccpb"
)

// memStore is chapter 01's whole storage: the live keys in a map and the store revision.
//
// It keeps no history: an overwritten or deleted value is gone. That makes it behave like an etcd
// whose history is compacted after every write, which is how the server answers a Range at a past
// revision (etcd's "required revision has been compacted"). Chapter 02 replaces it with etcd's MVCC
// store, which keeps every revision.
//
// One mutex guards everything and every request holds it from start to end, so each request sees
// and changes the store atomically. etcd gets the same effect from its MVCC read and write
// transactions.
type memStore struct {
	mu  sync.Mutex
	rev int64 // revision of the last write; a fresh etcd store starts at 1
	kvs map[string]*mvccpb.KeyValue
}

func newMemStore() *memStore {
	return &memStore{rev: 1, kvs: make(map[string]*mvccpb.KeyValue)}
}

// inRange reports whether k falls in etcd's range [key, end): end empty means the single key,
// end "\x00" means every key >= key.
func inRange(k, key, end []byte) bool {
	switch {
	case len(end) == 0:
		return bytes.Equal(k, key)
	case len(end) == 1 && end[0] == 0:
		return bytes.Compare(k, key) >= 0
	default:
		return bytes.Compare(k, key) >= 0 && bytes.Compare(k, end) < 0
	}
}

// rangeKeys returns copies of the live pairs in [key, end), in key order. Callers hold mu.
func (st *memStore) rangeKeys(key, end []byte) []*mvccpb.KeyValue {
	var out []*mvccpb.KeyValue
	for k, kv := range st.kvs {
		if inRange([]byte(k), key, end) {
			out = append(out, cloneKV(kv))
		}
	}
	slices.SortFunc(out, func(a, b *mvccpb.KeyValue) int { return bytes.Compare(a.Key, b.Key) })
	return out
}

// writeTxn groups the writes of one request so that they share one new revision, as every etcd
// write does (a Txn that puts three keys creates one revision, not three).
type writeTxn struct {
	st      *memStore
	changed bool
}

// rev is the revision a read inside this request sees: the new one once something was written.
func (tw *writeTxn) rev() int64 {
	if tw.changed {
		return tw.st.rev + 1
	}
	return tw.st.rev
}

func (tw *writeTxn) put(key, value []byte, lease int64) int64 {
	tw.changed = true
	rev := tw.st.rev + 1
	kv, ok := tw.st.kvs[string(key)]
	if !ok {
		kv = &mvccpb.KeyValue{Key: bytes.Clone(key), CreateRevision: rev}
		tw.st.kvs[string(key)] = kv
	}
	kv.ModRevision = rev
	kv.Version++
	kv.Value = bytes.Clone(value)
	kv.Lease = lease
	return rev
}

// deleteRange removes the keys in [key, end) and returns the deleted pairs.
func (tw *writeTxn) deleteRange(key, end []byte) []*mvccpb.KeyValue {
	deleted := tw.st.rangeKeys(key, end)
	for _, kv := range deleted {
		delete(tw.st.kvs, string(kv.Key))
	}
	if len(deleted) > 0 {
		tw.changed = true
	}
	return deleted
}

// end makes the request's writes visible under their new revision.
func (tw *writeTxn) end() {
	if tw.changed {
		tw.st.rev++
	}
}

// cloneKV copies a stored pair, so that a response never aliases what a later write changes.
func cloneKV(kv *mvccpb.KeyValue) *mvccpb.KeyValue {
	return &mvccpb.KeyValue{
		Key:            kv.Key,
		CreateRevision: kv.CreateRevision,
		ModRevision:    kv.ModRevision,
		Version:        kv.Version,
		Value:          kv.Value,
		Lease:          kv.Lease,
	}
}
