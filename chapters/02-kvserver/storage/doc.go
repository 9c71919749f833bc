// Package storage is the backend quota: how much a write would add to the database, and whether
// it still fits under --quota-backend-bytes.
//
// Layer: storage (chapter 02). Corresponds to etcd v3.6 server/storage/quota.go (Quota,
// BackendQuota, NewBackendQuota, DefaultQuotaBytes, costPut, costTxn, kvOverhead). Two layers ask
// it: the gRPC layer's quotaKVServer, before a request goes anywhere, and the apply layer's quota
// applier, when the request is applied (package etcdserver/apply).
//
// Left out: leases (etcd charges a LeaseGrant leaseOverhead bytes; no chapter serves leases), the
// log lines etcd prints about the quota, and its quota metric.
package storage
