// Package notify broadcasts "it happened" to every goroutine waiting for an event that recurs:
// each waiter takes the current channel with Receive, and Notify closes it and installs a fresh
// one for the next time.
//
// Layer: the signals EtcdServer gives the layers above (chapter 03: leaderChanged and
// firstCommitInTerm, which chapter 04's read loop waits on). Corresponds to etcd v3.6
// pkg/notify/notify.go (Notifier, NewNotifier, Receive, Notify). Nothing is left out.
package notify
