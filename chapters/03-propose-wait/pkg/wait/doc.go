// Package wait lets a goroutine wait for a result that another goroutine will deliver under an ID:
// the proposer registers the request ID and waits; the apply loop, once it has applied the entry
// carrying that ID, triggers it with the result.
//
// Layer: the propose/wait machinery of EtcdServer (chapter 03). Corresponds to etcd v3.6
// pkg/wait/wait.go (Wait, New, Register, Trigger, IsRegistered): the same sharded map, so that
// thousands of concurrent requests do not contend on one lock; and pkg/wait/wait_time.go
// (WaitTime, NewTimeList): EtcdServer's applyWait, triggered with the applied index once a batch is
// visible to readers, on which chapter 04's linearizable reads wait. Nothing is left out.
//
// Workshop exercise: WaitRegistry (wait.go).
package wait
