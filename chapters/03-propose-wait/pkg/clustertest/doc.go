// Package clustertest is what the tests of an in-process cluster need of its members, whichever
// chapter's they are: made-up members, starting and stopping them on an in-memory network, and
// waiting for them to agree on a leader.
//
// Layer: none; test support for chapter 03's and chapter 04's etcdserver tests, which build their
// own members (chapter 03's wrap internal parts) and hand them to these helpers. etcd's
// counterpart is tests/framework/integration's cluster helpers (WaitLeader, and so on).
package clustertest
