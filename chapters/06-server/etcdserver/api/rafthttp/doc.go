// Package rafthttp is chapter 06's peer network: it carries raft messages between member
// processes over HTTP, where chapter 03's transport.Network carried them in memory.
//
// It follows etcd v3.6's server/etcdserver/api/rafthttp:
//   - transport.go: Transport (Start, Handler, Send, SendSnapshot, AddPeer, RemovePeer,
//     ActiveSince, ActivePeers, Stop);
//   - peer.go: Peer and peer, which picks the stream or the pipeline for each message and drops
//     it when that queue is full, so that a slow peer never blocks Send;
//   - stream.go: streamWriter and streamReader. Member A's reader for B dials
//     GET B/raft/stream/message/<A's id>; B's handler hands the response to B's writer for A,
//     which writes B's messages to A into it, flushing when its queue (streamBufSize, 4096) is
//     empty or after half a queue, with a link heartbeat every ConnReadTimeout/3 so an idle
//     stream stays under the read deadline. A lost stream is redialled every 100 ms;
//   - pipeline.go: four goroutines that POST one message each to /raft, for MsgSnap and while
//     the stream is down (pipelineBufSize, 64);
//   - snapshot_sender.go: a MsgSnap and its db in one POST to /raft/snapshot;
//   - msg_codec.go: each message framed as an 8-byte big-endian length and the marshalled
//     raftpb.Message;
//   - http.go: the handlers; X-Server-From and X-Etcd-Cluster-ID on every request, a foreign
//     cluster ID refused with 412 "cluster ID mismatch";
//   - peer_status.go, urlpick.go: ActiveSince's bookkeeping, and moving to a peer's next URL
//     when one fails.
//
// # How it plugs into chapter 03
//
// Transport implements transport.Joiner, and what Join returns (the Transport itself) is the
// transport.Transporter, so chapter 03's etcdserver.NewServer(cfg, tr) takes it unchanged. The
// wiring, as the cluster test does it:
//
//	tr := &rafthttp.Transport{ClusterID: cid, URLs: myPeerURLs, Snapshotter: saver}
//	tr.AddPeer(id, peerURLs) // each other member of --initial-cluster
//	s, err := etcdserver.NewServer(cfg, tr) // Join: sets tr.ID and tr.Raft, starts the peers
//	go http.Serve(peerListener, tr.Handler())
//	s.Start() // ... s.Stop() stops tr too; close the peer listener after it
//
// The cluster ID must be set by the caller: Join carries only the member's ID.
//
// # What chapter 03's Raft would need
//
// Its transport.Raft has Process only. etcd's rafthttp.Raft also has ReportUnreachable,
// ReportSnapshot (raft.Node's, so that raft stops pipelining to a peer whose messages are being
// dropped and learns how a snapshot send ended) and IsIDRemoved. Reporter is the first two: a
// Raft that implements them is told, chapter 03's EtcdServer is not (it would need those two
// methods, calling its raft.Node's). Without IsIDRemoved, removed members are not refused with 410.
//
// # Left out
//
// The msgappv2 stream and its codec (only the "message" stream exists; a peer asking for
// /raft/stream/msgapp gets 404); TLS; the prober (/raft/probing) and metrics; version headers
// and checks; remotes (etcd's catch-up link to a member not yet in the cluster) and
// UpdatePeer; pausing peers (CutPeer/MendPeer); ErrorC for a removed member. SnapMessage is a
// small stand-in for etcd's snap.Message: the transport closes its ReadCloser when the send
// ends and reports the outcome through Reporter, with no CloseNotify. AddPeer returns an error
// for bad URLs where etcd's panics.
package rafthttp
