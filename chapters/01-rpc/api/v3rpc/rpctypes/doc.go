// Package rpctypes holds the gRPC errors etcd returns to clients: each one a fixed gRPC code and a
// fixed message.
//
// Layer: the wire (chapter 01), shared by every chapter. Corresponds to etcd v3.6
// api/v3rpc/rpctypes/error.go. The messages are etcd's to the byte, because clientv3 recognises an
// error by its message (rpctypes.Error) and etcdctl prints it: a client cannot tell our error from
// etcd's.
//
// The client-side half (client.go: EtcdError, Error, ErrorDesc and the Err* values) is what
// chapter 05's client returns: it turns a gRPC status back into the etcd error it stands for, by
// its message, as clientv3 does, so that errors.Is(err, rpctypes.ErrCompacted) works on what
// either client returns.
//
// Left out: the errors of services no chapter serves (auth, lease management, membership
// changes, downgrade).
package rpctypes
