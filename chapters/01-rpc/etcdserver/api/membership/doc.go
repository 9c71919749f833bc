// Package membership derives member and cluster IDs as etcd does, so that every chapter's
// `etcdctl member list` and response headers carry IDs computed in one place.
//
// Layer: cluster membership (chapter 01, used by every later chapter). Corresponds to etcd v3.6
// server/etcdserver/api/membership/member.go (NewMember, computeMemberID) and cluster.go
// (RaftCluster.genID). Left out: the member store, membership changes and their raft entries,
// learners, and the start-time salt etcd adds to the ID of a member added at runtime.
//
// Chapters 01 to 03 have no peer URLs; they pass the client URLs in their place, and say so.
package membership
