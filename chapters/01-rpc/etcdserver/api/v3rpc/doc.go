// Package v3rpc holds the validations etcd's gRPC handlers make before a request goes anywhere:
// an empty key, an unknown sort option, ignore_value with a value, too many operations in a txn.
// Each returns etcd's gRPC error as is.
//
// Layer: the gRPC service (chapter 01; chapter 01's map server and chapter 02's kvServer both
// call them, so that every chapter refuses the same requests with the same errors). Corresponds
// to etcd v3.6 server/etcdserver/api/v3rpc/key.go: checkRangeRequest, checkPutRequest,
// checkDeleteRequest, checkTxnRequest and checkRequestOp, exported here because the handlers that
// call them live in other packages.
//
// Left out: checkIntervals, etcd's duplicate-key rule, which needs to know whether a chapter
// serves nested txns. Chapter 01's server has a first version for flat txns; chapter 02's
// v3rpc has etcd's, which follows nested txns.
package v3rpc
