package server

import pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

// header knows what every response header says about this server, like etcd's v3rpc header.
type header struct {
	clusterID uint64
	memberID  uint64
}

// fill completes h. A response that already carries a revision keeps it (a write reports the
// revision it created); otherwise it gets rev, the store's current revision. There is no raft
// yet, so raft_term stays 0.
func (hdr header) fill(h *pb.ResponseHeader, rev int64) {
	h.ClusterId = hdr.clusterID
	h.MemberId = hdr.memberID
	if h.Revision == 0 {
		h.Revision = rev
	}
}
