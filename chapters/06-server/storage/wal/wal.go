package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Record types, with etcd's values.
const (
	metadataType int64 = iota + 1
	entryType
	stateType
	crcType
	snapshotType
)

// SegmentSizeBytes is the size past which the WAL cuts a new segment, and the size each segment
// is preallocated to. Tests lower it; a WAL takes the value it has at Create or Open.
var SegmentSizeBytes int64 = 64 * 1000 * 1000

var (
	ErrMetadataConflict = errors.New("wal: conflicting metadata found")
	ErrFileNotFound     = errors.New("wal: file not found")
	ErrCRCMismatch      = errors.New("wal: crc mismatch")
	ErrSnapshotMismatch = errors.New("wal: snapshot mismatch")
	ErrSnapshotNotFound = errors.New("wal: snapshot not found")
	ErrSliceOutOfRange  = errors.New("wal: slice bounds out of range")
	ErrDecoderNotFound  = errors.New("wal: decoder not found")
	ErrClosed           = errors.New("wal: closed")

	crcTable = crc32.MakeTable(crc32.Castagnoli)
)

// syncFunc makes a file's contents durable. It is a variable so that tests can make a disk fail;
// each WAL copies it at Create or Open, and tests replace the copy (WAL.syncFunc).
var syncFunc = fdatasync

// Record is one unit of the log (etcd's walpb.Record): its type, the running CRC up to and
// including its data, and the data (a marshaled raftpb.Entry or HardState, a Snapshot, the
// metadata; nothing for a crcType record).
type Record struct {
	Type int64
	Crc  uint32
	Data []byte
}

// Snapshot marks in the log where a snapshot was taken (etcd's walpb.Snapshot, without its
// ConfState): reading starts at the marker that matches the snapshot the member loaded.
type Snapshot struct {
	Index uint64
	Term  uint64
}

func (s Snapshot) marshal() []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, s.Index)
	binary.LittleEndian.PutUint64(b[8:], s.Term)
	return b
}

func unmarshalSnapshot(b []byte) (Snapshot, error) {
	if len(b) != 16 {
		return Snapshot{}, fmt.Errorf("wal: snapshot record of %d bytes", len(b))
	}
	return Snapshot{Index: binary.LittleEndian.Uint64(b), Term: binary.LittleEndian.Uint64(b[8:])}, nil
}

// CorruptError is a record that cannot be a torn write: the log has valid records after it, or
// it is in a segment before the last. Repair does not touch it.
type CorruptError struct {
	File   string // the segment's name
	Offset int64  // where the bad frame starts
	Err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: corrupt record in %s at offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

func (d *decoder) corrupt(err error) error {
	return &CorruptError{File: d.name(), Offset: d.off, Err: err}
}

// WAL is a member's write-ahead log (etcd's storage/wal.WAL). Open one with Create (a new member)
// or Open (a restart). After Open, it reads until ReadAll has been called, then appends.
type WAL struct {
	dir         string
	dirFile     *os.File
	segmentSize int64
	syncFunc    func(*os.File) error

	metadata []byte
	state    raftpb.HardState // the last one saved: written again at the head of every segment

	start   Snapshot // the marker reading starts from
	decoder *decoder

	mu      sync.Mutex
	enti    uint64 // the index of the last entry saved
	encoder *encoder
	tail    *os.File
	names   []string // the segments this WAL holds, oldest first (etcd's locks, without flock)
	fp      *filePipeline
	err     error // sticky: after a failed write or fsync, the WAL refuses every later call
	closed  bool
}

// Create makes a WAL in dir, which must not hold one, with metadata at the head of every
// segment. The first segment is built in dir.tmp and renamed into place, so that a crash leaves
// either no WAL or a whole one.
func Create(dir string, metadata []byte) (*WAL, error) {
	if Exist(dir) {
		return nil, os.ErrExist
	}
	tmp := filepath.Clean(dir) + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	name := walName(0, 0)
	f, err := os.OpenFile(filepath.Join(tmp, name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	w := &WAL{
		dir:         dir,
		segmentSize: SegmentSizeBytes,
		syncFunc:    syncFunc,
		metadata:    bytes.Clone(metadata),
		tail:        f,
		names:       []string{name},
	}
	if err := w.createFirstSegment(tmp, f); err != nil {
		f.Close()
		return nil, err
	}
	w.fp = newFilePipeline(w.dir, w.segmentSize)
	return w, nil
}

func (w *WAL) createFirstSegment(tmp string, f *os.File) error {
	if err := preallocate(f, w.segmentSize); err != nil {
		return err
	}
	w.encoder = newEncoder(f, 0, 0)
	if err := w.saveCrc(0); err != nil {
		return err
	}
	if err := w.encoder.encode(&Record{Type: metadataType, Data: w.metadata}); err != nil {
		return err
	}
	if err := w.saveSnapshot(Snapshot{}); err != nil {
		return err
	}
	if err := os.RemoveAll(w.dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, w.dir); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(filepath.Clean(w.dir)), w.syncFunc); err != nil {
		return err
	}
	df, err := os.Open(w.dir)
	if err != nil {
		return err
	}
	w.dirFile = df
	return nil
}

func syncDir(dir string, sync func(*os.File) error) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return sync(d)
}

// Open opens the WAL in dir for a restart from snap: ReadAll then reads from the segment that
// holds snap's marker on, and the WAL appends after the last valid record.
func Open(dir string, snap Snapshot) (*WAL, error) {
	names, err := readWALNames(dir)
	if err != nil {
		return nil, err
	}
	i, ok := searchIndex(names, snap.Index)
	if !ok {
		return nil, fmt.Errorf("wal: no segment in %s holds snapshot index %d", dir, snap.Index)
	}
	names = names[i:]
	if !isValidSeq(names) {
		return nil, fmt.Errorf("wal: segment sequence numbers in %s do not follow one another from %s", dir, names[0])
	}
	tail, err := os.OpenFile(filepath.Join(dir, names[len(names)-1]), os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	df, err := os.Open(dir)
	if err != nil {
		tail.Close()
		return nil, err
	}
	return &WAL{
		dir:         dir,
		dirFile:     df,
		segmentSize: SegmentSizeBytes,
		syncFunc:    syncFunc,
		start:       snap,
		decoder:     newDecoder(dir, names),
		tail:        tail,
		names:       names,
	}, nil
}

// ReadAll reads the log from the start snapshot's marker: the metadata, the last HardState, and
// the entries after the snapshot, a later entry at an index replacing the one read before with
// the rest of the suffix (a new leader overwrote an uncommitted tail). It fails with a wrapped
// io.ErrUnexpectedEOF for a torn tail (Repair, then Open again), a *CorruptError for damage
// elsewhere, and ErrSnapshotNotFound, with everything read, if no marker matched. After it the
// WAL appends: the tail segment is zeroed past the last valid record.
func (w *WAL) ReadAll() (metadata []byte, state raftpb.HardState, ents []raftpb.Entry, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.decoder == nil {
		return nil, state, nil, ErrDecoderNotFound
	}
	d := w.decoder
	var match bool
	var rec Record
	for rec, err = d.decode(); err == nil; rec, err = d.decode() {
		switch rec.Type {
		case entryType:
			var e raftpb.Entry
			if err := e.Unmarshal(rec.Data); err != nil {
				return nil, raftpb.HardState{}, nil, d.corruptAtLast(err)
			}
			if e.Index > w.start.Index {
				offset := e.Index - w.start.Index - 1
				if offset > uint64(len(ents)) {
					return nil, raftpb.HardState{}, nil, fmt.Errorf("%w: snapshot at index %d, entry %d after %d entries",
						ErrSliceOutOfRange, w.start.Index, e.Index, len(ents))
				}
				ents = append(ents[:offset], e)
			}
			w.enti = e.Index
		case stateType:
			state = raftpb.HardState{}
			if err := state.Unmarshal(rec.Data); err != nil {
				return nil, raftpb.HardState{}, nil, d.corruptAtLast(err)
			}
		case metadataType:
			if metadata != nil && !bytes.Equal(metadata, rec.Data) {
				return nil, raftpb.HardState{}, nil, ErrMetadataConflict
			}
			metadata = rec.Data
		case crcType:
			// The first record of every segment but the first carries the CRC the chain had at
			// the end of the segment before; a different one means records went missing.
			if d.crc != 0 && rec.Crc != d.crc {
				return nil, raftpb.HardState{}, nil, d.corruptAtLast(ErrCRCMismatch)
			}
			d.crc = rec.Crc
		case snapshotType:
			snap, err := unmarshalSnapshot(rec.Data)
			if err != nil {
				return nil, raftpb.HardState{}, nil, d.corruptAtLast(err)
			}
			if snap.Index == w.start.Index {
				if snap.Term != w.start.Term {
					return nil, raftpb.HardState{}, nil, ErrSnapshotMismatch
				}
				match = true
			}
		default:
			return nil, raftpb.HardState{}, nil, d.corruptAtLast(fmt.Errorf("unexpected record type %d", rec.Type))
		}
	}
	if !errors.Is(err, io.EOF) {
		return nil, raftpb.HardState{}, nil, err
	}
	// Whatever lies past the last valid record (an overwritten or torn tail, zeroed by Repair's
	// truncate or never written) must read as the end of the log after the next append.
	if err := zeroToEnd(w.tail, d.off); err != nil {
		return nil, raftpb.HardState{}, nil, err
	}
	if _, err := w.tail.Seek(d.off, io.SeekStart); err != nil {
		return nil, raftpb.HardState{}, nil, err
	}
	w.encoder = newEncoder(w.tail, d.crc, d.off)
	w.decoder = nil
	w.start = Snapshot{}
	w.metadata = metadata
	w.state = state
	w.fp = newFilePipeline(w.dir, w.segmentSize)
	if !match {
		return metadata, state, ents, ErrSnapshotNotFound
	}
	return metadata, state, ents, nil
}

// corruptAtLast is a *CorruptError for the record decode just returned.
func (d *decoder) corruptAtLast(err error) error {
	return &CorruptError{File: d.name(), Offset: d.off, Err: err}
}

// OpenAndRepair opens the WAL for a restart and reads it, repairing a torn tail once (what etcd's
// bootstrap does in openWALFromSnapshot): ReadAll's io.ErrUnexpectedEOF, then Repair, then Open
// and ReadAll again. Any other failure is returned as it is.
func OpenAndRepair(dir string, snap Snapshot) (*WAL, []byte, raftpb.HardState, []raftpb.Entry, error) {
	for repaired := false; ; repaired = true {
		w, err := Open(dir, snap)
		if err != nil {
			return nil, nil, raftpb.HardState{}, nil, err
		}
		metadata, st, ents, err := w.ReadAll()
		if err == nil {
			return w, metadata, st, ents, nil
		}
		w.Close()
		if repaired || !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, raftpb.HardState{}, nil, err
		}
		if rerr := Repair(dir); rerr != nil {
			return nil, nil, raftpb.HardState{}, nil, fmt.Errorf("%w (repair: %v)", err, rerr)
		}
	}
}

// Save appends the hard state and the entries, and fsyncs before it returns when raft needs it
// (raft.MustSync: entries, or a new term or vote); a commit index alone may be lost and learned
// again. Past SegmentSizeBytes it cuts a new segment, which syncs too.
func (w *WAL) Save(st raftpb.HardState, ents []raftpb.Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	if raft.IsEmptyHardState(st) && len(ents) == 0 {
		return nil
	}
	mustSync := raft.MustSync(st, w.state, len(ents))
	for i := range ents {
		if err := w.saveEntry(&ents[i]); err != nil {
			return w.fail(err)
		}
	}
	if err := w.saveState(&st); err != nil {
		return w.fail(err)
	}
	if w.encoder.off < w.segmentSize {
		if mustSync {
			return w.sync()
		}
		return nil
	}
	return w.cut()
}

// SaveSnapshot records a snapshot marker and syncs: the member may only act on the snapshot once
// the WAL can find it again.
func (w *WAL) SaveSnapshot(s Snapshot) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	return w.saveSnapshot(s)
}

func (w *WAL) saveSnapshot(s Snapshot) error {
	if err := w.encoder.encode(&Record{Type: snapshotType, Data: s.marshal()}); err != nil {
		return w.fail(err)
	}
	if w.enti < s.Index {
		w.enti = s.Index
	}
	return w.sync()
}

func (w *WAL) saveEntry(e *raftpb.Entry) error {
	b, err := e.Marshal()
	if err != nil {
		return err
	}
	if err := w.encoder.encode(&Record{Type: entryType, Data: b}); err != nil {
		return err
	}
	w.enti = e.Index
	return nil
}

func (w *WAL) saveState(s *raftpb.HardState) error {
	if raft.IsEmptyHardState(*s) {
		return nil
	}
	w.state = *s
	b, err := s.Marshal()
	if err != nil {
		return err
	}
	return w.encoder.encode(&Record{Type: stateType, Data: b})
}

func (w *WAL) saveCrc(prev uint32) error {
	return w.encoder.encode(&Record{Type: crcType, Crc: prev})
}

// cut closes the full tail segment at its end and continues in a new one, named for its sequence
// number and the index of the next entry, that starts with the running CRC, the metadata and the
// last hard state. The new segment is written under its pipeline name and renamed once synced,
// so that a crash never leaves a segment without its head.
func (w *WAL) cut() error {
	if err := w.encoder.flush(); err != nil {
		return w.fail(err)
	}
	if err := w.tail.Truncate(w.encoder.off); err != nil {
		return w.fail(err)
	}
	if err := w.sync(); err != nil {
		return err
	}
	seq, _, err := parseWALName(w.names[len(w.names)-1])
	if err != nil {
		return w.fail(err)
	}
	name := walName(seq+1, w.enti+1)
	f, err := w.fp.Open()
	if err != nil {
		return w.fail(err)
	}
	prevCrc := w.encoder.crc
	w.tail.Close()
	w.tail = f
	w.names = append(w.names, name)
	w.encoder = newEncoder(f, prevCrc, 0)
	if err := w.saveCrc(prevCrc); err != nil {
		return w.fail(err)
	}
	if err := w.encoder.encode(&Record{Type: metadataType, Data: w.metadata}); err != nil {
		return w.fail(err)
	}
	if err := w.saveState(&w.state); err != nil {
		return w.fail(err)
	}
	if err := w.sync(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(w.dir, name)); err != nil {
		return w.fail(err)
	}
	if err := w.syncFunc(w.dirFile); err != nil {
		return w.fail(fmt.Errorf("wal: fsync directory %s: %w", w.dir, err))
	}
	return nil
}

// sync flushes the encoder and fsyncs the tail. A failed fsync is final: the kernel may have
// dropped the dirty pages, so a later fsync that succeeds proves nothing about them.
func (w *WAL) sync() error {
	if err := w.encoder.flush(); err != nil {
		return w.fail(err)
	}
	if err := w.syncFunc(w.tail); err != nil {
		return w.fail(fmt.Errorf("wal: fsync %s: %w", filepath.Base(w.names[len(w.names)-1]), err))
	}
	return nil
}

// Sync flushes and fsyncs what Save wrote without syncing.
func (w *WAL) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	return w.sync()
}

func (w *WAL) usable() error {
	switch {
	case w.closed:
		return ErrClosed
	case w.err != nil:
		return w.err
	case w.encoder == nil:
		return errors.New("wal: ReadAll must come before appending")
	}
	return nil
}

func (w *WAL) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

// ReleaseLockTo lets go of the segments whose entries all lie before index (etcd releases their
// flocks, so that the purge loop may delete them). It keeps the segment that holds index, and
// the tail. Without flock, this WAL only forgets them; Names tells what it still holds.
func (w *WAL) ReleaseLockTo(index uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.names) == 0 {
		return nil
	}
	smaller := len(w.names) - 1
	for i, name := range w.names {
		_, first, err := parseWALName(name)
		if err != nil {
			return err
		}
		if first >= index {
			smaller = i - 1
			break
		}
	}
	if smaller <= 0 {
		return nil
	}
	w.names = w.names[smaller:]
	return nil
}

// Names lists the segments the WAL holds, oldest first.
func (w *WAL) Names() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.names...)
}

// Close syncs the tail and closes the WAL's files. It is safe to call twice.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	if w.fp != nil {
		if err := w.fp.Close(); err != nil {
			errs = append(errs, err)
		}
		w.fp = nil
	}
	if w.encoder != nil && w.err == nil {
		if err := w.sync(); err != nil {
			errs = append(errs, err)
		}
	}
	if w.tail != nil {
		errs = append(errs, w.tail.Close())
	}
	if w.dirFile != nil {
		errs = append(errs, w.dirFile.Close())
	}
	return errors.Join(errs...)
}
