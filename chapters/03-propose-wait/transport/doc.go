// Package transport carries raft messages between the members of an in-process cluster, and can
// drop, delay and partition them, for tests and demonstrations.
//
// Layer: the peer network under raftNode (chapter 03). Corresponds to the Transporter interface of
// etcd v3.6 server/etcdserver/api/rafthttp/transport.go (Send, ActiveSince, Stop) — the seam
// chapter 06 fills with a network transport, through Joiner. Left out: everything rafthttp does over HTTP (streams,
// pipelines, snapshots, probing, TLS).
package transport
