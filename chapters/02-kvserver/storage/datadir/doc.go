// Package datadir is the layout of a member's data directory, as etcd lays it out, so that every
// chapter puts its files where etcd puts them and a later chapter finds them there.
//
// Layer: storage (chapter 02, used by chapters 03 and 06). Corresponds to etcd v3.6
// server/storage/datadir/datadir.go (ToBackendFileName, ToSnapDir, ToWALDir, ToMemberDir).
package datadir
