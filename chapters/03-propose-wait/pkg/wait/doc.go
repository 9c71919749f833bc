// Package wait lets a goroutine wait for a result that another goroutine will deliver under an ID:
// the proposer registers the request ID and waits; the apply loop, once it has applied the entry
// carrying that ID, triggers it with the result.
//
// Layer: the propose/wait machinery of EtcdServer (chapter 03). Corresponds to etcd v3.6
// pkg/wait/wait.go (Wait, New, Register, Trigger, IsRegistered): the same sharded map, so that
// thousands of concurrent requests do not contend on one lock. Left out: WaitTime
// (wait_time.go), which chapter 04 does not need either.
//
// Workshop exercise: WaitRegistry (wait.go).
package wait
