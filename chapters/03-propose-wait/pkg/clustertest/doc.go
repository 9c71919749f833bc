// Package clustertest is what the tests of an in-process cluster need of its members, whichever
// chapter's they are: made-up members, starting and stopping them on an in-memory network,
// waiting for them to agree on a leader, and running a fault schedule (RunSchedule) while
// clients send requests through every member in turn.
//
// Layer: none; test support for chapter 03's and chapter 04's etcdserver tests, which build their
// own members (chapter 03's wrap internal parts) and hand them to these helpers. etcd's
// counterpart is tests/framework/integration's cluster helpers (WaitLeader, and so on).
package clustertest
