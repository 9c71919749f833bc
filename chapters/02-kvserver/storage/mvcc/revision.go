package mvcc

import "encoding/binary"

// Revision identifies one change in the store: Main is the store revision of the request that made
// it (one per write request), Sub numbers the changes inside that request (a txn that puts three keys
// makes Sub 0, 1 and 2 of one Main). As etcd's storage/mvcc/revision.go.
type Revision struct {
	Main int64
	Sub  int64
}

// GreaterThan orders revisions by Main, then Sub.
func (a Revision) GreaterThan(b Revision) bool {
	if a.Main != b.Main {
		return a.Main > b.Main
	}
	return a.Sub > b.Sub
}

// revBytesLen is the size of a revision as a bbolt key: 8 bytes of Main, '_', 8 bytes of Sub,
// big-endian so that bbolt's byte order is revision order. A deletion's key carries one more byte,
// the tombstone mark 't'.
const (
	revBytesLen       = 8 + 1 + 8
	markedRevBytesLen = revBytesLen + 1
	markTombstone     = 't'
)

// revToBytes encodes rev as a key of the "key" bucket, marked as a tombstone if tombstone is set.
func revToBytes(rev Revision, tombstone bool) []byte {
	b := make([]byte, revBytesLen, markedRevBytesLen)
	binary.BigEndian.PutUint64(b, uint64(rev.Main))
	b[8] = '_'
	binary.BigEndian.PutUint64(b[9:], uint64(rev.Sub))
	if tombstone {
		b = append(b, markTombstone)
	}
	return b
}

// bytesToRev decodes a key of the "key" bucket.
func bytesToRev(b []byte) (rev Revision, tombstone bool) {
	rev.Main = int64(binary.BigEndian.Uint64(b[0:8]))
	rev.Sub = int64(binary.BigEndian.Uint64(b[9:]))
	return rev, len(b) == markedRevBytesLen && b[revBytesLen] == markTombstone
}
