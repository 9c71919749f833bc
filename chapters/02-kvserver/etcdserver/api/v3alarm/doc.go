// Package v3alarm is the store of active alarms: which member raised which alarm, kept in the
// backend's alarm bucket so that an alarm survives a restart.
//
// Layer: the apply layer's state (chapter 02; chapter 03 applies the same store on every member,
// from raft entries). Corresponds to etcd v3.6 server/etcdserver/api/v3alarm/alarms.go
// (AlarmStore, NewAlarmStore, Activate, Deactivate, Get, restore) and the alarm part of
// server/storage/schema/alarm.go (the bucket and its keys: a marshaled AlarmMember, no value).
//
// Who changes it: the apply layer (package etcdserver/apply) for an AlarmRequest, raised by the
// quota (NOSPACE) or sent by a client (etcdctl alarm disarm). The store only writes into the
// backend's batch; the caller makes the change durable (chapter 02 waits for the commit, chapter
// 03's apply loop syncs the batch before it answers).
//
// Left out: etcd's alarm metrics, and its logger.
package v3alarm
