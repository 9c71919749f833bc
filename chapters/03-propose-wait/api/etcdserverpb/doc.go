// Package raftinternalpb holds InternalRaftRequest, the payload of the raft entries chapter 03
// proposes, and its RequestHeader, generated from raft_internal.proto.
//
// Layer: the raft entry (chapter 03). Corresponds to etcd v3.6 api/etcdserverpb/raft_internal.proto
// (the same proto package, etcdserverpb, and the same field numbers; the Go package is named
// raftinternalpb so that it does not read as chapter 01's etcdserverpb). Left out: the lease,
// auth, alarm, membership and downgrade requests etcd's entry can carry.
package raftinternalpb
