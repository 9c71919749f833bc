package clientv3

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

// CompactOp is a Compact request (etcd's compact_op.go).
type CompactOp struct {
	revision int64
	physical bool
}

// CompactOption sets one field of a CompactOp.
type CompactOption func(*CompactOp)

// OpCompact is a Compact of the history before rev.
func OpCompact(rev int64, opts ...CompactOption) CompactOp {
	op := CompactOp{revision: rev}
	for _, opt := range opts {
		opt(&op)
	}
	return op
}

func (op CompactOp) toRequest() *pb.CompactionRequest {
	return &pb.CompactionRequest{Revision: op.revision, Physical: op.physical}
}

// WithCompactPhysical makes Compact return only once the compacted entries are removed from the
// backend.
func WithCompactPhysical() CompactOption { return func(op *CompactOp) { op.physical = true } }
