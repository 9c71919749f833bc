// Package cluster starts several members in one process, connected by an in-memory network, each
// serving etcd's gRPC API on its own client URL.
//
// Layer: the process around EtcdServer (chapter 03); the in-process stand-in for what etcd's
// embed.StartEtcd does once per process (server/embed/etcd.go). Chapter 06 replaces it with one
// member per process talking over real peer URLs.
//
// Seam: Start builds each member with the NewMember it is given, and Command is the whole
// cmd/server around it. Chapter 04's cmd/server is this one with chapter 04's NewServer in place
// of NewServer; cluster_test.go checks that the cluster runs and stops what NewMember builds.
package cluster
