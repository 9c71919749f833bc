//go:build !(workshop_03 || workshop_applytrigger)

package etcdserver

import (
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// applyEntryNormal applies one entry's request to the store and returns the trigger for its
// proposer. Every member applies every entry; only the member where the request was proposed has
// the ID registered, and Trigger ignores the others. Workshop exercise "ApplyTrigger".
func (s *EtcdServer) applyEntryNormal(e *raftpb.Entry) (pendingTrigger, bool) {
	if len(e.Data) == 0 {
		return pendingTrigger{}, false // the empty entry a new leader appends
	}
	var r irpb.InternalRaftRequest
	if err := proto.Unmarshal(e.Data, &r); err != nil {
		return pendingTrigger{}, false // not ours: nothing to apply, nobody to answer
	}
	res := s.applyV3(&r)
	if r.Header == nil || !s.w.IsRegistered(r.Header.ID) {
		return pendingTrigger{}, false
	}
	return pendingTrigger{id: r.Header.ID, res: res}, true
}
