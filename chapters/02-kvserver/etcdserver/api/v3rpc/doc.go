// Package v3rpc is etcd's gRPC layer: the handlers that validate a request, hand it to EtcdServer,
// turn its errors into etcd's gRPC errors and fill the response header.
//
// Layer: the gRPC service over EtcdServer (chapter 02; chapters 03 and later register the same
// handlers over their own RaftKV). Corresponds to etcd v3.6 server/etcdserver/api/v3rpc:
// key.go (kvServer, checkIntervals), quota.go (quotaKVServer, quotaAlarmer: a refused write
// raises NOSPACE), header.go (header), util.go (togRPCError), grpc.go (Server), maintenance.go
// (Alarm, Status, Defragment) and member.go (MemberList).
//
// codec.go is this chapter's own: gRPC's proto codec, except that a txn nested past protobuf-go's
// recursion limit is still decoded, as etcd's gogoproto decodes it, so that it gets etcd's
// "too many operations in txn request" instead of an Internal unmarshalling error.
//
// The other validations of key.go (checkRangeRequest, checkPutRequest, checkDeleteRequest,
// checkTxnRequest) are chapter 01's etcdserver/api/v3rpc (imported as v3rpc01), so that chapter
// 01's server and this one refuse the same requests. checkIntervals is this chapter's: unlike
// chapter 01's first version, it follows nested txns, as etcd's does.
//
// interceptor.go has the "no leader" check of etcd's interceptor.go, for the members that run raft
// (a ServerView that is also a Leaderer): a request with the "hasleader" metadata fails at once
// with "etcdserver: no leader" while the member knows no leader.
//
// Left out: the Watch, Lease and Auth services, the other Maintenance and Cluster methods, auth
// checks, and etcd's other interceptors (metrics, request logging, the learner check).
// An AlarmRequest with an action etcd does not know is refused (etcd v3.6.16 crashes on it).
package v3rpc
