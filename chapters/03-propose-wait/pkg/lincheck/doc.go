// Package lincheck records what clients saw of a cluster, puts and gets on a few keys, and asks
// porcupine whether some order of those operations, consistent with real time, explains every
// answer: whether the history is linearizable.
//
// Layer: none; the checker the chapters' tests share. Chapter 03 checks its writes with it,
// chapter 04 its reads and writes, and interop the servers running as processes. It plays the
// part of the checker in etcd's tests/robustness (its model of a key-value store, much reduced).
//
// Left out: every operation but put and get of one key (no ranges, deletes, txns or revisions).
package lincheck
