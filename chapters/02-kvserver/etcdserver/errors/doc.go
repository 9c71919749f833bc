// Package errors holds the errors EtcdServer and the apply layer return, before the gRPC layer
// turns them into etcd's gRPC errors (v3rpc's togRPCError).
//
// Layer: EtcdServer (chapter 02, used by every later chapter). Corresponds to etcd v3.6
// server/etcdserver/errors/errors.go, plus lease.ErrLeaseNotFound from server/lease.
// Left out: the errors of membership, downgrade, auth and corruption checks.
package errors
