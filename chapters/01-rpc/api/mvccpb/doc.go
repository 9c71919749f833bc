// Package mvccpb holds KeyValue and Event, the records etcd's MVCC store keeps and returns.
//
// Layer: the wire (chapter 01). Corresponds to etcd v3.6 api/mvccpb/kv.proto. Generated from
// kv.proto by `make generate`; the only difference from etcd is protobuf-go instead of gogoproto.
package mvccpb
