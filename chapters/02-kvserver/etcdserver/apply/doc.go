// Package apply is the chain of appliers a write passes through on its way to the store, and the
// alarms that change the chain: with NOSPACE raised, puts are refused; with CORRUPT, every write.
//
// Layer: the apply layer (chapter 02, which calls it on the request's goroutine; chapter 03's
// apply loop calls the same UberApplier for every committed raft entry, on every member).
// Corresponds to etcd v3.6 server/etcdserver/apply/: uber_applier.go (uberApplier,
// restoreAlarms, its Alarm), apply.go (applierV3backend, applierV3backend.Alarm,
// quotaApplierV3, applierV3Capped) and corrupt.go (applierV3Corrupt). The work itself is package
// txn's (etcd's server/etcdserver/txn), and the quota package storage's.
//
// A write goes, as in etcd: UberApplier → [applierV3Corrupt] → [applierV3Capped] →
// quotaApplierV3 → applierV3backend → txn → mvcc. The bracketed ones are there only while their
// alarm is raised; every alarm change rebuilds the chain from the alarm store (restoreAlarms).
//
// Left out: the auth applier, leases (LeaseGrant and its quota), the membership and cluster
// version requests, metrics, and the slow-apply warnings.
package apply
