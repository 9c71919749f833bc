package v3rpc

import pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

// HeaderSource is what a response header says about the member (etcd's header takes these from
// EtcdServer).
type HeaderSource interface {
	ClusterID() uint64
	MemberID() uint64
	Term() uint64
	Rev() int64 // the store's current revision
}

type header struct {
	src       HeaderSource
	clusterID uint64
	memberID  uint64
}

func newHeader(src HeaderSource) header {
	return header{src: src, clusterID: src.ClusterID(), memberID: src.MemberID()}
}

// fill completes a response header; a revision already set (a write's own) is kept.
func (h header) fill(rh *pb.ResponseHeader) {
	if rh == nil {
		return
	}
	rh.ClusterId = h.clusterID
	rh.MemberId = h.memberID
	rh.RaftTerm = h.src.Term()
	if rh.Revision == 0 {
		rh.Revision = h.src.Rev()
	}
}
