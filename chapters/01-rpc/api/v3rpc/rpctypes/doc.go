// Package rpctypes holds the gRPC errors etcd returns to clients: each one a fixed gRPC code and a
// fixed message.
//
// Layer: the wire (chapter 01), shared by every chapter. Corresponds to etcd v3.6
// api/v3rpc/rpctypes/error.go. The messages are etcd's to the byte, because clientv3 recognises an
// error by its message (rpctypes.Error) and etcdctl prints it: a client cannot tell our error from
// etcd's.
//
// Left out: the client-side half of etcd's file (EtcdError, ErrorDesc and the table mapping
// messages back to errors), and the errors of services no chapter serves (auth, lease management,
// membership changes, downgrade).
package rpctypes
