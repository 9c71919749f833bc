package storage

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/config"

	"google.golang.org/protobuf/proto"
)

// KVOverhead is what a put costs beyond its key and value: an estimate of the bytes its
// metadata (revisions, version, the index entry) takes (etcd's kvOverhead).
const KVOverhead = 256

// Quota says whether a request fits in what is left of a space quota (etcd's storage.Quota).
type Quota interface {
	// Available reports whether req fits: a request that costs nothing always does.
	Available(req proto.Message) bool
	// Cost is what req would add to the database, in bytes (an estimate).
	Cost(req proto.Message) int
	// Remaining is how many bytes are left before the quota is reached.
	Remaining() int64
}

// Sizer reports the backend's size, the figure a quota is checked against (backend.Backend's
// Size: the bbolt file's size in use, free pages included, until a defragmentation).
type Sizer interface{ Size() int64 }

// NewBackendQuota returns the quota of --quota-backend-bytes over be, as etcd's NewBackendQuota
// does: 0 means the default of 2 GiB, a negative size no quota at all.
func NewBackendQuota(quotaBytes int64, be Sizer) Quota {
	switch {
	case quotaBytes < 0:
		return passthroughQuota{}
	case quotaBytes == 0:
		quotaBytes = config.DefaultQuotaBytes
	}
	return &BackendQuota{be: be, maxBackendBytes: quotaBytes}
}

// BackendQuota is the quota on a backend's size (etcd's BackendQuota).
type BackendQuota struct {
	be              Sizer
	maxBackendBytes int64
}

// Available reports whether the backend's size plus what req costs stays below the quota. The
// size counts free pages too, so a store that deleted everything still does not fit until it is
// defragmented.
func (b *BackendQuota) Available(req proto.Message) bool {
	c := Cost(req)
	return c == 0 || b.be.Size()+int64(c) < b.maxBackendBytes
}

func (b *BackendQuota) Cost(req proto.Message) int { return Cost(req) }

func (b *BackendQuota) Remaining() int64 { return b.maxBackendBytes - b.be.Size() }

// passthroughQuota is no quota (a negative --quota-backend-bytes).
type passthroughQuota struct{}

func (passthroughQuota) Available(proto.Message) bool { return true }
func (passthroughQuota) Cost(proto.Message) int       { return 0 }
func (passthroughQuota) Remaining() int64             { return 1 }

// Cost is what req would add to the database: a put its key, value and KVOverhead, a txn its
// costlier branch (only one of them runs), anything else nothing. The NOSPACE alarm's capped
// applier uses it to tell a txn that writes from one that does not (etcd's BackendQuota.Cost,
// which its applierV3Capped calls on a zero BackendQuota).
func Cost(req proto.Message) int {
	switch r := req.(type) {
	case *pb.PutRequest:
		return costPut(r)
	case *pb.TxnRequest:
		return costTxn(r)
	default:
		return 0
	}
}

func costPut(r *pb.PutRequest) int { return KVOverhead + len(r.Key) + len(r.Value) }

func costTxn(r *pb.TxnRequest) int {
	branch := func(ops []*pb.RequestOp) (n int) {
		for _, op := range ops {
			if p := op.GetRequestPut(); p != nil {
				n += costPut(p)
			} else if t := op.GetRequestTxn(); t != nil {
				n += costTxn(t)
			}
		}
		return n
	}
	return max(branch(r.Success), branch(r.Failure))
}
