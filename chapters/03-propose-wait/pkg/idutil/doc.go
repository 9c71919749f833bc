// Package idutil generates request IDs that are unique across the members of a cluster and across
// restarts of a member.
//
// Layer: EtcdServer (chapter 03). Corresponds to etcd v3.6 pkg/idutil/id.go. An ID is
//
//	| member ID's low 16 bits | milliseconds at start, low 40 bits | counter, 8 bits |
//
// where the counter part is really the low 48 bits of (start time << 8) + n: each Next adds one,
// and carries into the time bits. Two members differ in the prefix; a restarted member starts at a
// later time, so above every ID it handed out before (unless it issued more than 256 IDs per
// millisecond of uptime, as etcd also assumes it does not).
package idutil
