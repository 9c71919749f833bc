// Package config holds the server limits every chapter enforces, with etcd's defaults, so that a
// default is written down once and every chapter's flags show the same number.
//
// Layer: configuration (chapter 01, used by every later chapter). Corresponds to the limit fields of
// etcd v3.6 server/config/config.go (ServerConfig.MaxTxnOps, MaxRequestBytes, QuotaBackendBytes)
// and their defaults in server/embed/config.go (DefaultMaxTxnOps, DefaultMaxRequestBytes) and
// server/storage/quota.go (DefaultQuotaBytes). Left out: every other field of etcd's ServerConfig;
// each chapter's own ServerConfig carries what it needs.
package config
