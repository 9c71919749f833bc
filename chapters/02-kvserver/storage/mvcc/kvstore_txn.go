package mvcc

import (
	"context"
	"fmt"

	"etcdwalk/chapters/01-rpc/api/mvccpb"
	"etcdwalk/chapters/02-kvserver/storage/backend"

	"google.golang.org/protobuf/proto"
)

// RangeOptions and RangeResult are etcd's (storage/mvcc/kv.go).
type RangeOptions struct {
	Limit int64 // at most this many pairs (0: all)
	Rev   int64 // read at this revision (<= 0: the newest)
	Count bool  // count only, no pairs
}

type RangeResult struct {
	KVs   []*mvccpb.KeyValue
	Rev   int64 // the revision of the store the read was made against
	Count int   // keys in the range, ignoring Limit
}

// TxnRead is a consistent read of the store at one revision (etcd's storeTxnRead). End it.
type TxnRead struct {
	s        *Store
	tx       *backend.ReadTx
	rev      int64
	firstRev int64
}

// Read starts a read transaction at the newest durable revision.
func (s *Store) Read() (*TxnRead, error) {
	s.mu.RLock()
	s.revMu.RLock()
	rev, first := s.readRevLocked(), s.compactMainRev
	s.revMu.RUnlock()
	tx, err := s.b.ReadTx()
	if err != nil {
		s.mu.RUnlock()
		return nil, err
	}
	return &TxnRead{s: s, tx: tx, rev: rev, firstRev: first}, nil
}

func (tr *TxnRead) Rev() int64      { return tr.rev }
func (tr *TxnRead) FirstRev() int64 { return tr.firstRev }

func (tr *TxnRead) Range(ctx context.Context, key, end []byte, ro RangeOptions) (*RangeResult, error) {
	return tr.s.rangeKeys(ctx, key, end, tr.rev, tr.firstRev, ro, func(k []byte) []byte { return tr.tx.Get(backend.Key, k) })
}

func (tr *TxnRead) End() {
	tr.tx.End()
	tr.s.mu.RUnlock()
}

// TxnWrite is a write transaction (etcd's storeTxnWrite): all its changes get the revision
// Rev()+1, with sub-revisions in the order they were made. End it.
type TxnWrite struct {
	s        *Store
	beginRev int64
	firstRev int64
	changes  []*mvccpb.KeyValue
}

// Write starts a write transaction. Write transactions run one at a time.
func (s *Store) Write() *TxnWrite {
	s.mu.RLock()
	s.b.Lock()
	s.revMu.RLock()
	defer s.revMu.RUnlock()
	return &TxnWrite{s: s, beginRev: s.currentRev, firstRev: s.compactMainRev}
}

// Rev is the revision the store had when the transaction began; FirstRev the oldest readable one.
func (tw *TxnWrite) Rev() int64      { return tw.beginRev }
func (tw *TxnWrite) FirstRev() int64 { return tw.firstRev }

// Changes are the pairs written so far (a deletion shows as a pair with only the key).
func (tw *TxnWrite) Changes() []*mvccpb.KeyValue { return tw.changes }

// Range reads the store including this transaction's own changes.
func (tw *TxnWrite) Range(ctx context.Context, key, end []byte, ro RangeOptions) (*RangeResult, error) {
	rev := tw.beginRev
	if len(tw.changes) > 0 {
		rev++
	}
	return tw.s.rangeKeys(ctx, key, end, rev, tw.firstRev, ro, func(k []byte) []byte { return tw.s.b.UnsafeGet(backend.Key, k) })
}

// Put writes key and returns the transaction's revision.
func (tw *TxnWrite) Put(key, value []byte, lease int64) int64 {
	rev := tw.beginRev + 1
	created, ver := rev, int64(0)
	if _, c, v, err := tw.s.kvindex.Get(key, rev); err == nil {
		created, ver = c.Main, v // the key exists: keep its creation, count one more version
	}
	idxRev := Revision{Main: rev, Sub: int64(len(tw.changes))}
	kv := &mvccpb.KeyValue{Key: key, Value: value, CreateRevision: created, ModRevision: rev, Version: ver + 1, Lease: lease}
	tw.s.b.UnsafePut(backend.Key, revToBytes(idxRev, false), mustMarshal(kv))
	tw.s.kvindex.Put(key, idxRev)
	tw.changes = append(tw.changes, kv)
	return rev
}

// DeleteRange deletes the keys in [key, end) and returns how many, with the revision the store is at
// once it is done (unchanged if nothing was deleted and nothing else written).
func (tw *TxnWrite) DeleteRange(key, end []byte) (n, rev int64) {
	rrev := tw.beginRev
	if len(tw.changes) > 0 {
		rrev++
	}
	keys, _ := tw.s.kvindex.Range(key, end, rrev)
	for _, k := range keys {
		idxRev := Revision{Main: tw.beginRev + 1, Sub: int64(len(tw.changes))}
		kv := &mvccpb.KeyValue{Key: k}
		tw.s.b.UnsafePut(backend.Key, revToBytes(idxRev, true), mustMarshal(kv))
		if err := tw.s.kvindex.Tombstone(k, idxRev); err != nil {
			panic(fmt.Sprintf("mvcc: tombstone of live key %q: %v", k, err))
		}
		tw.changes = append(tw.changes, kv)
	}
	if len(keys) > 0 || len(tw.changes) > 0 {
		return int64(len(keys)), tw.beginRev + 1
	}
	return 0, tw.beginRev
}

// End publishes the transaction's revision, lets the next writer in, and waits until the store is
// durable up to that revision. A transaction that wrote nothing may still have read writes of
// others that are not yet durable, so it waits too, unless everything it saw is on disk already.
// An error means the wait failed (ctx ended, or bbolt could not commit); the changes are visible
// to later writes either way, as in etcd, where apply never rolls back.
//
// With DeferSync set, End does not wait: the caller waits once for many transactions with Sync.
func (tw *TxnWrite) End(ctx context.Context) error {
	s := tw.s
	s.revMu.Lock()
	if len(tw.changes) > 0 {
		s.currentRev++
	}
	durable := s.durableRev >= s.currentRev
	s.revMu.Unlock()
	s.b.Unlock()
	s.mu.RUnlock()
	if durable || s.deferSync.Load() {
		return nil
	}
	return s.b.WaitCommit(ctx)
}

// DeferSync makes TxnWrite.End return without waiting for durability. Chapter 03 sets it: its
// apply loop applies a whole batch of raft entries and then waits once, with Sync, before it
// answers any of them. (etcd never waits: its WAL already made the entries durable.)
func (s *Store) DeferSync(on bool) { s.deferSync.Store(on) }

// Sync waits until everything written so far is durable, and so visible to readers.
func (s *Store) Sync(ctx context.Context) error {
	s.revMu.RLock()
	durable := s.durableRev >= s.currentRev
	s.revMu.RUnlock()
	if durable {
		return nil
	}
	return s.b.WaitCommit(ctx)
}

// rangeKeys is the read shared by both kinds of transaction (etcd's storeTxnCommon.rangeKeys):
// revisions from the index, values from bbolt through get.
func (s *Store) rangeKeys(ctx context.Context, key, end []byte, curRev, firstRev int64, ro RangeOptions, get func([]byte) []byte) (*RangeResult, error) {
	rev := ro.Rev
	if rev > curRev {
		return nil, ErrFutureRev
	}
	if rev <= 0 {
		rev = curRev
	}
	if rev < firstRev {
		return nil, ErrCompacted
	}
	if ro.Count {
		return &RangeResult{Count: s.kvindex.CountRevisions(key, end, rev), Rev: curRev}, nil
	}
	revs, total := s.kvindex.Revisions(key, end, rev, int(ro.Limit))
	res := &RangeResult{Count: total, Rev: curRev, KVs: make([]*mvccpb.KeyValue, 0, len(revs))}
	for _, r := range revs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := get(revToBytes(r, false))
		if v == nil {
			return nil, fmt.Errorf("mvcc: revision %v of the index is missing from the backend", r)
		}
		kv := &mvccpb.KeyValue{}
		if err := proto.Unmarshal(v, kv); err != nil {
			return nil, fmt.Errorf("mvcc: decode revision %v: %w", r, err)
		}
		res.KVs = append(res.KVs, kv)
	}
	return res, nil
}

func mustMarshal(kv *mvccpb.KeyValue) []byte {
	b, err := proto.Marshal(kv)
	if err != nil {
		panic(fmt.Sprintf("mvcc: marshal KeyValue: %v", err)) // a KeyValue always marshals
	}
	return b
}
