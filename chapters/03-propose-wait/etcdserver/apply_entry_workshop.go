//go:build workshop_03 || workshop_applytrigger

//etcdwalk:exercise name=ApplyTrigger tag=workshop_applytrigger tests=^Test(Cluster|Transcript) skip=^TestCluster(StoppedMemberAnswersErrStopped|FailedProposeForgetsItsRegistration)$

package etcdserver

import (
	"go.etcd.io/raft/v3/raftpb"
)

// applyEntryNormal applies one committed entry and returns the trigger for its proposer. Workshop
// exercise "ApplyTrigger": make `go test -tags workshop_applytrigger -run TestCluster
// ./etcdserver/` pass (with -tags workshop_03, ProposeWait and WaitRegistry too). The reference
// answer is apply_entry.go; etcd's is applyEntryNormal in server/etcdserver/server.go, which ends
// with s.w.Trigger(id, ar).
//
// TODO:
//  1. An entry with no data is the empty entry a new leader appends: nothing to apply, return
//     false.
//  2. Unmarshal e.Data into an irpb.InternalRaftRequest (proto.Unmarshal); if that fails, return
//     false.
//  3. Apply it on this member, whichever member proposed it: res := s.applyV3(&r). Every member
//     must apply every entry, or their stores would differ.
//  4. Only the member where the request was proposed has its ID registered
//     (s.w.IsRegistered(r.Header.ID)): there, return pendingTrigger{id, res} and true. applyAll
//     syncs the batch to disk and then calls s.w.Trigger for each, which wakes the proposer
//     waiting in processInternalRaftRequestOnce.
func (s *EtcdServer) applyEntryNormal(e *raftpb.Entry) (pendingTrigger, bool) {
	return pendingTrigger{}, false
}
