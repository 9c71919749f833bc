// Package cluster starts several chapter 03 members in one process, connected by an in-memory
// network, each serving etcd's gRPC API on its own client URL.
//
// Layer: the process around EtcdServer (chapter 03); the in-process stand-in for what etcd's
// embed.StartEtcd does once per process (server/embed/etcd.go). Chapter 06 replaces it with one
// member per process talking over real peer URLs.
package cluster
