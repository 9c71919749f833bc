package mvcc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"etcdwalk/chapters/01-rpc/api/mvccpb"
	"etcdwalk/chapters/02-kvserver/storage/backend"

	"google.golang.org/protobuf/proto"
)

var (
	ErrCompacted = errors.New("mvcc: required revision has been compacted")
	ErrFutureRev = errors.New("mvcc: required revision is a future revision")
)

// Keys of the meta bucket recording compaction progress (etcd's storage/schema).
var (
	scheduledCompactKeyName = []byte("scheduledCompactRev")
	finishedCompactKeyName  = []byte("finishedCompactRev")
)

// compactionBatchLimit is how many bbolt entries one step of physical compaction deletes before it
// lets writers in again (etcd's --experimental-compaction-batch-limit default).
const compactionBatchLimit = 1000

// Store is etcd's MVCC key-value store (storage/mvcc/kvstore.go): every write creates a new store
// revision, every revision of every key stays readable until it is compacted, and the values live in
// bbolt keyed by revision while the treeIndex maps keys to revisions.
//
// Locking follows etcd: readers and writers share mu (read-locked), writers exclude each other with
// the backend's batch lock, and compaction takes mu exclusively for the moment it changes the index.
//
// Durability: a write txn's End waits until the bbolt commit carrying it is on disk (see
// backend.Backend). Reads see only durable revisions: they read at durableRev, from bbolt's
// committed state, so no reader ever sees a write that a crash could still take back. On a
// backend with BufferedReads (chapter 06, where the WAL is what makes a write durable) reads are
// at the current revision instead, through the backend's read buffer.
type Store struct {
	b       *backend.Backend
	kvindex *treeIndex

	mu sync.RWMutex

	revMu          sync.RWMutex // guards the three revisions below
	currentRev     int64        // the last revision written (maybe not yet durable)
	durableRev     int64        // the last revision known to be on disk
	committingRev  int64        // currentRev as the batch being committed has it
	compactMainRev int64        // reads below it fail with ErrCompacted; -1 if never compacted

	deferSync atomic.Bool // see DeferSync

	compactMu sync.Mutex // one physical compaction at a time, in order
	compactWG sync.WaitGroup
	stopc     chan struct{}
}

// New opens the store on b, rebuilding the index from what b holds (etcd's store.restore) and
// finishing a compaction a crash interrupted.
func New(b *backend.Backend) (*Store, error) {
	s := &Store{b: b, kvindex: newTreeIndex(), currentRev: 1, compactMainRev: -1, stopc: make(chan struct{})}
	scheduled, finished, err := s.restore()
	if err != nil {
		return nil, err
	}
	// The batch lock is held while these run, so no write slips between the two.
	b.AddHooks(backend.Hooks{
		PreCommit: func() {
			s.revMu.RLock()
			s.committingRev = s.currentRev
			s.revMu.RUnlock()
		},
		PostCommit: func() {
			s.revMu.Lock()
			s.durableRev = s.committingRev
			s.revMu.Unlock()
		},
	})
	if scheduled > finished {
		<-s.scheduleCompaction(scheduled)
	}
	return s, nil
}

// Restore makes the bbolt file at dbPath the store's backend and rebuilds the index from it
// (etcd's store.Restore, with openSnapshotBackend): a follower applying a leader's snapshot goes
// on from the leader's db. Readers wait while it runs; a physical compaction in progress is let
// finish first, and one the new db has scheduled but not finished is run, as at New.
func (s *Store) Restore(dbPath string) error {
	s.compactMu.Lock()
	s.mu.Lock()
	if err := s.b.ReplaceWith(dbPath); err != nil {
		s.mu.Unlock()
		s.compactMu.Unlock()
		return err
	}
	s.revMu.Lock()
	s.kvindex = newTreeIndex()
	s.currentRev, s.compactMainRev = 1, -1
	scheduled, finished, err := s.restore()
	s.committingRev = s.currentRev
	s.revMu.Unlock()
	s.mu.Unlock()
	s.compactMu.Unlock()
	if err != nil {
		return err
	}
	if scheduled > finished {
		<-s.scheduleCompaction(scheduled)
	}
	return nil
}

func readRevMeta(v []byte) int64 {
	if len(v) != revBytesLen {
		return 0
	}
	rev, _ := bytesToRev(v)
	return rev.Main
}

func (s *Store) restore() (scheduled, finished int64, err error) {
	err = s.b.View(func(tx *backend.ReadTx) error {
		scheduled = readRevMeta(tx.Get(backend.Meta, scheduledCompactKeyName))
		finished = readRevMeta(tx.Get(backend.Meta, finishedCompactKeyName))
		var ferr error
		tx.ForEach(backend.Key, nil, nil, func(k, v []byte) bool {
			rev, tomb := bytesToRev(k)
			kv := &mvccpb.KeyValue{}
			if ferr = proto.Unmarshal(v, kv); ferr != nil {
				ferr = fmt.Errorf("mvcc: restore revision %v: %w", rev, ferr)
				return false
			}
			s.kvindex.restore(kv.Key, rev, tomb, Revision{Main: kv.CreateRevision}, kv.Version)
			s.currentRev = rev.Main
			return true
		})
		return ferr
	})
	// An interrupted compaction (scheduled > finished) is in force already: New finishes it.
	if c := max(scheduled, finished); c > 0 {
		s.compactMainRev = c
	}
	// Compaction may have deleted every entry up to compactMainRev; the revision never goes back.
	s.currentRev = max(s.currentRev, s.compactMainRev)
	s.durableRev = s.currentRev
	return scheduled, finished, err
}

// Rev returns the newest revision readers see: everything up to it is durable (in bbolt, or with
// BufferedReads in the server's WAL). (Writes in flight may already have taken later revisions.) FirstRev returns the oldest revision still readable.
func (s *Store) Rev() int64 {
	s.revMu.RLock()
	defer s.revMu.RUnlock()
	return s.readRevLocked()
}

// readRevLocked is the revision readers read at: the durable one, unless the backend buffers
// reads (chapter 06, whose WAL makes writes durable before they are applied): then every write
// whose transaction has ended, committed to bbolt or not. The caller holds revMu.
func (s *Store) readRevLocked() int64 {
	if s.b.BufferedReads() {
		return s.currentRev
	}
	return s.durableRev
}

func (s *Store) FirstRev() int64 {
	s.revMu.RLock()
	defer s.revMu.RUnlock()
	return s.compactMainRev
}

// Compact makes revisions below rev unreadable at once (the logical compaction) and schedules the
// removal of their data from the index and bbolt (the physical compaction); the returned channel
// closes when that is done. Compacting at or below the current compaction revision is
// ErrCompacted, beyond the current revision ErrFutureRev, as in etcd.
func (s *Store) Compact(ctx context.Context, rev int64) (<-chan struct{}, error) {
	s.mu.Lock()
	s.revMu.Lock()
	if rev <= s.compactMainRev {
		s.revMu.Unlock()
		s.mu.Unlock()
		return nil, ErrCompacted
	}
	if rev > s.currentRev {
		s.revMu.Unlock()
		s.mu.Unlock()
		return nil, ErrFutureRev
	}
	s.compactMainRev = rev
	s.revMu.Unlock()
	s.b.Lock()
	s.b.UnsafePut(backend.Meta, scheduledCompactKeyName, revToBytes(Revision{Main: rev}, false))
	s.b.Unlock()
	s.mu.Unlock()
	if err := s.b.WaitCommit(ctx); err != nil {
		return nil, err
	}
	return s.scheduleCompaction(rev), nil
}

// scheduleCompaction runs the physical compaction at rev in the background (etcd's
// kvstore_compaction.go scheduleCompaction): compact the index, learning which revisions at or
// below rev must stay, then delete all the others from bbolt, a batch at a time.
func (s *Store) scheduleCompaction(rev int64) <-chan struct{} {
	done := make(chan struct{})
	s.compactWG.Add(1)
	go func() {
		defer s.compactWG.Done()
		defer close(done)
		s.compactMu.Lock()
		defer s.compactMu.Unlock()

		s.mu.Lock()
		keep := s.kvindex.Compact(rev)
		s.mu.Unlock()

		end := make([]byte, 8)
		binary.BigEndian.PutUint64(end, uint64(rev+1))
		from := []byte{}
		for {
			s.b.Lock()
			var keys [][]byte
			s.b.UnsafeForEach(backend.Key, from, end, func(k, _ []byte) bool {
				keys = append(keys, bytes.Clone(k))
				return len(keys) < compactionBatchLimit
			})
			for _, k := range keys {
				if r, _ := bytesToRev(k); !contains(keep, r) {
					s.b.UnsafeDelete(backend.Key, k)
				}
			}
			finished := len(keys) < compactionBatchLimit
			if finished {
				s.b.UnsafePut(backend.Meta, finishedCompactKeyName, revToBytes(Revision{Main: rev}, false))
			}
			s.b.Unlock()
			_ = s.b.ForceCommit()
			if finished {
				return
			}
			from = append(keys[len(keys)-1], 0) // the smallest key after the last one seen
			select {
			case <-s.stopc:
				return // finished on the next start, from scheduledCompactRev
			default:
			}
		}
	}()
	return done
}

func contains(m map[Revision]struct{}, r Revision) bool { _, ok := m[r]; return ok }

// Close waits for running compactions to stop at their next step. It does not close the backend.
func (s *Store) Close() {
	close(s.stopc)
	s.compactWG.Wait()
}
