package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of etcd's schema (storage/schema/bucket.go) that this chapter uses.
var (
	Key   = []byte("key")   // revision -> marshaled mvccpb.KeyValue
	Meta  = []byte("meta")  // bookkeeping: compaction progress (and, from chapter 03, the consistent index)
	Alarm = []byte("alarm") // marshaled etcdserverpb.AlarmMember -> nothing: the active alarms
	// Members: member ID -> the name and client URLs the member published (chapter 06).
	Members = []byte("members")
)

// ErrClosed is returned to writers waiting for a commit when the backend closes first.
var ErrClosed = errors.New("backend: closed")

// Backend is the bbolt database under the MVCC store, with etcd's batching: all writers share one
// long-lived bbolt write transaction (the batch), and a committer goroutine commits it.
//
// etcd commits its batch every 100ms and relies on the raft WAL for durability. This chapter has
// no WAL yet, so bbolt's commit is what makes a write durable, and a write is acknowledged only
// after the commit that carries it (WaitCommit). To keep that fast the committer does group commit:
// whoever writes while a commit is in progress lands in the next batch, and one fsync then makes
// all of them durable together. BackendConfig adds etcd's own policy (BatchInterval, BatchLimit)
// on top, for the chapter that has a WAL.
type Backend struct {
	// dbMu guards db itself, which Defrag replaces: every bbolt read transaction holds it shared
	// for its whole life, and Defrag takes it exclusively (etcd's backend.mu and readTx lock).
	dbMu  sync.RWMutex
	db    *bolt.DB
	bopts *bolt.Options // to open the file again after Defrag

	batchInterval time.Duration // see BackendConfig
	batchLimit    int
	bufferReads   bool

	// rbuf is the read buffer (BufferedReads): written by the writer holding mu, under rbufMu;
	// readers copy it under rbufMu.RLock as they begin their bbolt transaction.
	rbufMu sync.RWMutex
	rbuf   readBuffer

	mu      sync.Mutex            // the batch tx lock (etcd's batchTx.Lock): held while writing and committing
	tx      *bolt.Tx              // the open write transaction
	pending int                   // writes in tx not yet committed (etcd's batchTx.pending)
	cur     atomic.Pointer[batch] // what writers of tx will wait for; swapped under mu

	hooks []Hooks

	// writers counts the writers holding or waiting for mu. The committer lets them in before it
	// commits, so that a commit carries as many writes as are on their way (group commit).
	writers atomic.Int32

	kick    chan struct{} // wakes the committer
	stop    chan struct{}
	stopped chan struct{}
	closeMu sync.Mutex
	closed  bool
}

// batch is one commit: closed done means it happened, err says whether it failed.
type batch struct {
	done chan struct{}
	err  error
}

func newBatch() *batch { return &batch{done: make(chan struct{})} }

// etcd's defaults for the batch policy (server/storage/backend/backend.go, and the flags
// --backend-batch-interval and --backend-batch-limit): what a server with a WAL sets.
const (
	DefaultBatchInterval = 100 * time.Millisecond
	DefaultBatchLimit    = 10000
)

// BackendConfig is what New opens a backend with (etcd's BackendConfig). Its zero commit policy
// is this chapter's: the batch is committed when a writer waits for it (WaitCommit), at
// ForceCommit and at Close, and never on its own. BatchInterval and BatchLimit add etcd's
// triggers; a writer that waits is still served at once under every policy.
type BackendConfig struct {
	// Path is the bbolt file, created if missing.
	Path string
	// BatchInterval > 0 makes the committer also commit pending writes this long after the last
	// timed commit, whether or not anyone waits for them.
	BatchInterval time.Duration
	// BatchLimit > 0 commits the batch in the Unlock that leaves it holding at least this many
	// writes; every UnsafePut and UnsafeDelete counts one, as etcd counts them.
	BatchLimit int
	// BufferedReads makes readers (ReadTx, View) see the Key bucket's writes as soon as the
	// writer unlocks, before bbolt commits them, through a read buffer (etcd's txReadBuffer;
	// etcd always has one). It is for a server whose raft log, not bbolt, makes a write durable:
	// there a write may be read before its bbolt commit, and readers must not wait up to a
	// BatchInterval for it. Without it, readers see only what is committed, which is also what
	// is durable: chapters 02 and 03 rely on that.
	BufferedReads bool
}

// Open opens (creating if needed) the bbolt file at path and starts the committer, with the commit
// policy of this chapter (the zero BackendConfig).
func Open(path string) (*Backend, error) { return New(BackendConfig{Path: path}) }

// New opens the backend cfg describes and starts the committer (etcd's backend.New).
func New(cfg BackendConfig) (*Backend, error) {
	if cfg.BatchInterval < 0 || cfg.BatchLimit < 0 {
		return nil, fmt.Errorf("backend: negative batch interval (%v) or limit (%d)", cfg.BatchInterval, cfg.BatchLimit)
	}
	path := cfg.Path
	bopts := &bolt.Options{
		Timeout:         5 * time.Second, // another process holding the file: fail instead of hanging
		InitialMmapSize: 1 << 30,         // address space only; avoids remapping (which blocks readers) as the file grows
		FreelistType:    bolt.FreelistMapType,
		NoFreelistSync:  true, // as etcd: the free list is rebuilt at open instead of written at every commit
	}
	db, err := bolt.Open(path, 0o600, bopts)
	if err != nil {
		return nil, fmt.Errorf("backend: open %s: %w", path, err)
	}
	if err := createBuckets(db); err != nil {
		db.Close()
		return nil, err
	}
	tx, err := db.Begin(true)
	if err != nil {
		db.Close()
		return nil, err
	}
	b := &Backend{
		db: db, bopts: bopts, tx: tx, batchInterval: cfg.BatchInterval, batchLimit: cfg.BatchLimit,
		bufferReads: cfg.BufferedReads,
		kick:        make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	b.cur.Store(newBatch())
	go b.committer()
	return b, nil
}

// createBuckets makes sure the buckets of the schema exist.
func createBuckets(db *bolt.DB) error {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{Key, Meta, Alarm, Members} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("backend: create buckets: %w", err)
	}
	return nil
}

// Hooks let the layers above act at each commit, with the batch lock held (etcd's backend hooks,
// storage/backend/hooks.go): PreCommit may still write into the batch (chapter 03 saves the
// consistent index there); PostCommit learns that the batch is on disk.
type Hooks struct {
	PreCommit  func()
	PostCommit func()
}

// AddHooks registers h; call it before any write.
func (b *Backend) AddHooks(h Hooks) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hooks = append(b.hooks, h)
}

// Lock takes the batch tx for writing; Unlock releases it. Between them the Unsafe* methods may be
// used, and nothing is committed.
func (b *Backend) Lock() {
	b.writers.Add(1)
	b.mu.Lock()
}

// Unlock commits the batch first if it has reached BatchLimit, as etcd's batchTx.Unlock does: the
// writer that fills the batch pays for its commit, so a batch outgrows the limit by at most the
// writes of one Lock..Unlock.
func (b *Backend) Unlock() {
	if b.batchLimit > 0 && b.pending >= b.batchLimit {
		b.commitLocked()
	}
	b.writers.Add(-1)
	b.mu.Unlock()
}

// UnsafePut writes key=value into bucket in the batch. The caller holds Lock.
func (b *Backend) UnsafePut(bucket, key, value []byte) {
	if err := b.tx.Bucket(bucket).Put(key, value); err != nil {
		// Only a read-only tx, an empty or oversized key or a missing bucket can fail here: all
		// bugs of this program, not conditions a request can create.
		panic(fmt.Sprintf("backend: put into %s: %v", bucket, err))
	}
	b.pending++
	if b.bufferReads && bytes.Equal(bucket, Key) {
		b.rbufMu.Lock()
		b.rbuf.put(key, value)
		b.rbufMu.Unlock()
	}
}

// BufferedReads says whether readers see writes before they are committed (BackendConfig).
func (b *Backend) BufferedReads() bool { return b.bufferReads }

// UnsafeDelete deletes key from bucket in the batch. The caller holds Lock.
func (b *Backend) UnsafeDelete(bucket, key []byte) {
	if err := b.tx.Bucket(bucket).Delete(key); err != nil {
		panic(fmt.Sprintf("backend: delete from %s: %v", bucket, err))
	}
	b.pending++
}

// UnsafeGet reads key from bucket as the batch sees it (its own writes included). The caller holds
// Lock. The returned slice is valid only until Unlock.
func (b *Backend) UnsafeGet(bucket, key []byte) []byte {
	return b.tx.Bucket(bucket).Get(key)
}

// UnsafeForEach calls f for the keys of bucket in [from, to) as the batch sees them, in order,
// until f returns false. The caller holds Lock.
func (b *Backend) UnsafeForEach(bucket, from, to []byte, f func(k, v []byte) bool) {
	forEach(b.tx.Bucket(bucket), from, to, f)
}

func forEach(bkt *bolt.Bucket, from, to []byte, f func(k, v []byte) bool) {
	c := bkt.Cursor()
	for k, v := c.Seek(from); k != nil && (to == nil || string(k) < string(to)); k, v = c.Next() {
		if !f(k, v) {
			return
		}
	}
}

// WaitCommit returns once everything written into the batch before the call is durable on disk, or
// when ctx ends first (the writes then still commit, only the wait was given up).
func (b *Backend) WaitCommit(ctx context.Context) error {
	// No lock: if the committer swapped batches since our write, the one we get commits after
	// ours did, which is just as good, and a waiter never blocks behind a writer holding mu.
	bt := b.cur.Load()
	select {
	case b.kick <- struct{}{}:
	default: // the committer is already awake and will commit bt, or is committing and will loop
	}
	select {
	case <-bt.done:
		return bt.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// committer commits the batch whenever a writer waits for it. Writers arriving during a commit
// block on mu and then all land in the next batch: one fsync for the whole group. With a
// BatchInterval it also commits on a timer (etcd's backend.run), restarted after each timed commit.
func (b *Backend) committer() {
	defer close(b.stopped)
	var timer *time.Timer
	var tick <-chan time.Time // stays nil, and so never ready, without an interval
	if b.batchInterval > 0 {
		timer = time.NewTimer(b.batchInterval)
		defer timer.Stop()
		tick = timer.C
	}
	for {
		select {
		case <-tick:
			b.commit()
			timer.Reset(b.batchInterval)
		case <-b.kick:
			// Let the writers already queued for the batch write first: they then share this
			// fsync instead of each waiting for one of their own. Bounded, so a steady stream
			// of writers cannot keep the commit from ever happening.
			for i := 0; i < 100 && b.writers.Load() > 0; i++ {
				runtime.Gosched()
			}
			b.commit()
		case <-b.stop:
			return
		}
	}
}

// commit commits the open batch and begins the next one.
func (b *Backend) commit() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.commitLocked()
}

func (b *Backend) commitLocked() {
	bt := b.cur.Load()
	b.cur.Store(newBatch())
	if b.pending > 0 {
		if bt.err = b.commitTx(); bt.err != nil {
			bt.err = fmt.Errorf("backend: commit: %w", bt.err)
		}
		tx, err := b.db.Begin(true)
		if err != nil {
			// Without a write transaction no write can proceed; every later waiter gets this error.
			next := &batch{done: make(chan struct{}), err: fmt.Errorf("backend: begin write tx: %w", err)}
			close(next.done)
			b.cur.Store(next)
		}
		b.tx, b.pending = tx, 0
	}
	close(bt.done)
}

// commitTx commits the batch's transaction with the hooks around it (etcd's batchTx.commit and
// its OnPreCommitUnsafe hook). The caller holds mu.
func (b *Backend) commitTx() error {
	for _, h := range b.hooks {
		if h.PreCommit != nil {
			h.PreCommit()
		}
	}
	err := b.tx.Commit()
	// bbolt holds the buffer's writes now: a reader beginning after this sees them there. (One
	// that began during the commit has the old buffer with whichever bbolt state it got, and both
	// hold the same writes.)
	b.rbufMu.Lock()
	b.rbuf = readBuffer{}
	b.rbufMu.Unlock()
	if err != nil {
		return err
	}
	for _, h := range b.hooks {
		if h.PostCommit != nil {
			h.PostCommit()
		}
	}
	return nil
}

// ForceCommit commits the batch now, from the caller's goroutine.
func (b *Backend) ForceCommit() error {
	b.mu.Lock()
	bt := b.cur.Load()
	b.commitLocked()
	b.mu.Unlock()
	return bt.err
}

// ReadTx begins a read-only transaction on the committed database, and with BufferedReads on
// the batch's Key-bucket writes too; End it soon, since a long read transaction keeps bbolt from
// reusing pages, and Defrag waits for it.
func (b *Backend) ReadTx() (*ReadTx, error) {
	b.dbMu.RLock()
	// The buffer and the bbolt transaction are taken together, so that a commit cannot fall
	// between them and leave the reader with neither copy of a write.
	b.rbufMu.RLock()
	buf := b.rbuf
	tx, err := b.db.Begin(false)
	b.rbufMu.RUnlock()
	if err != nil {
		b.dbMu.RUnlock()
		return nil, fmt.Errorf("backend: begin read tx: %w", err)
	}
	return &ReadTx{tx: tx, b: b, buf: buf}, nil
}

// End ends a transaction from ReadTx.
func (r *ReadTx) End() {
	_ = r.tx.Rollback()
	r.b.dbMu.RUnlock()
}

// View runs f in a read-only transaction, as ReadTx sees the database: what has been committed,
// and with BufferedReads the batch's Key-bucket writes.
func (b *Backend) View(f func(tx *ReadTx) error) error {
	tx, err := b.ReadTx()
	if err != nil {
		return err
	}
	defer tx.End()
	return f(tx)
}

// ReadTx is a read-only view of the committed database (and the read buffer, if any).
type ReadTx struct {
	tx  *bolt.Tx
	b   *Backend
	buf readBuffer
}

// Get reads key from bucket. The slice is valid only inside the View.
func (r *ReadTx) Get(bucket, key []byte) []byte {
	if r.buf.keys != nil && bytes.Equal(bucket, Key) {
		if v := r.buf.get(key); v != nil {
			return v
		}
	}
	return r.tx.Bucket(bucket).Get(key)
}

// ForEach calls f for the keys of bucket in [from, to) (to nil: to the end), until f returns false.
func (r *ReadTx) ForEach(bucket, from, to []byte, f func(k, v []byte) bool) {
	bkt := r.tx.Bucket(bucket)
	if r.buf.keys == nil || !bytes.Equal(bucket, Key) {
		forEach(bkt, from, to, f)
		return
	}
	r.buf.forEach(from, to, func(g func(k, v []byte) bool) { forEach(bkt, from, to, g) }, f)
}

// Size is the size of the database file in bytes (etcd's Backend.Size: what the quota is checked
// against). SizeInUse leaves out the free pages (etcd's SizeInUse).
func (b *Backend) Size() int64 {
	b.dbMu.RLock()
	defer b.dbMu.RUnlock()
	var size int64
	_ = b.db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })
	return size
}

func (b *Backend) SizeInUse() int64 {
	b.dbMu.RLock()
	defer b.dbMu.RUnlock()
	var size int64
	_ = b.db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })
	st := b.db.Stats()
	return size - int64(st.FreePageN+st.PendingPageN)*int64(b.db.Info().PageSize)
}

// Close commits what is pending, stops the committer and closes the file. Writers still waiting get
// the commit's result; later ones get ErrClosed.
func (b *Backend) Close() error {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	close(b.stop)
	<-b.stopped
	b.mu.Lock()
	defer b.mu.Unlock()
	bt := b.cur.Load()
	// The last batch is committed as every other, hooks included: the consistent index chapter 03
	// saves in PreCommit must go with the last writes, or a restart would apply them again.
	var err error
	if b.pending > 0 {
		err = b.commitTx()
	} else {
		err = b.tx.Commit()
	}
	if err != nil {
		err = fmt.Errorf("backend: commit: %w", err)
		bt.err = err
	}
	closed := &batch{done: make(chan struct{}), err: ErrClosed}
	close(closed.done)
	b.cur.Store(closed)
	close(bt.done)
	return errors.Join(err, b.db.Close())
}
