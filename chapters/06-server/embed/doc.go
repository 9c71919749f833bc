// Package embed is chapter 06's server as a library: its configuration, and Etcd, StartEtcd and
// Close, the whole member started in-process as etcd's embed starts it.
//
// Layer: the top of the server (chapter 06), below the command line (etcdmain). Corresponds to
// etcd v3.6's server/embed/config.go (Config, NewConfig, Validate, PeerURLsMapAndToken,
// InitialClusterFromName, UpdateDefaultClusterFromName, IsNewCluster, ElectionTicks), to the
// bootstrap checks of server/config/config.go, to embed/etcd.go (Etcd, StartEtcd: listen on the
// peer and client URLs, build the server, serve peers, start, serve clients; Close) (VerifyBootstrap, VerifyJoinExisting,
// advertiseMatchesCluster, CheckDuplicateURL) and to client/pkg/types' URLs and URLsMap parsing.
//
// What exists: Config with etcd's field names and defaults for the flags etcdwalk supports
// (--name, --data-dir, --wal-dir, the four URL flags, --initial-cluster, -state and -token,
// --snapshot-count, --snapshot-catchup-entries, --heartbeat-interval, --election-timeout,
// --quota-backend-bytes, --max-txn-ops, --max-request-bytes, --log-level); the limits are chapter
// 01's config.Limits, not a copy. InitialMembers computes the member and cluster IDs exactly as
// etcd does (chapter 01's membership.ComputeMemberID and ComputeClusterID over the peer URLs and
// the token), so that `etcdctl member list` shows real etcd's IDs for the same flags.
// ServerConfig derives chapter 03's etcdserver.ServerConfig from a Config: StartEtcd builds the
// server from it, chapter 04's (linearizable reads) on chapter 03's seams, WithStorage given this
// chapter's WAL storage and the transport seam given rafthttp, dialling the peer URLs of
// InitialMembers. It logs "ready to serve client requests" once it serves, as etcd does.
//
// Not yet: snapshots (the trigger, log compaction, sending one to a lagging member), the backend's
// batched commit policy, and --wal-dir's check that the WAL belongs to this member (its metadata).
// Left out for good: TLS, unix sockets, discovery and DNS bootstrap, auth, auto-compaction,
// metrics and the rest of etcd's ~130 flags; etcdmain refuses those flags by name. Where etcd
// resolves host names to compare --initial-cluster with --initial-advertise-peer-urls, etcdwalk
// compares the URLs as written.
package embed
