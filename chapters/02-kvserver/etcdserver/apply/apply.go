package apply

import (
	"context"
	"sync"
	"sync/atomic"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3alarm"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/etcdserver/txn"
	"etcdwalk/chapters/02-kvserver/storage"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"
)

// applierV3 applies one kind of request each (etcd's applierV3, the part the chapters serve).
// Reads are not here: etcd serves Range, and a txn that only reads, without the applier.
type applierV3 interface {
	Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error)
	DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error)
	Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error)
	Compaction(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, <-chan struct{}, error)
	Alarm(r *pb.AlarmRequest) (*pb.AlarmResponse, error)
}

// UberApplier is the entry to the chain (etcd's uberApplier): it applies each request with the
// applier the current alarms call for. It is safe for concurrent use; chapter 02 calls it from
// many requests at once, chapter 03 from its one apply loop.
type UberApplier struct {
	alarms *v3alarm.AlarmStore
	base   applierV3 // quota → backend: the chain with no alarm raised

	alarmMu sync.Mutex // an alarm change and the chain it leads to, one at a time
	cur     atomic.Pointer[chain]
}

// chain boxes an applierV3, so that the current one can be swapped atomically.
type chain struct{ applierV3 }

// NewUberApplier returns the applier over kv, with the alarms of alarms and the quota q checked at
// apply time, starting from the alarms already raised (etcd's NewUberApplier and restoreAlarms):
// a store that was full before a restart still refuses puts after it.
func NewUberApplier(kv *mvcc.Store, alarms *v3alarm.AlarmStore, q storage.Quota) *UberApplier {
	a := &UberApplier{
		alarms: alarms,
		base:   &quotaApplierV3{applierV3: &applierV3backend{kv: kv, alarms: alarms}, q: q},
	}
	a.restoreAlarms()
	return a
}

// restoreAlarms builds the chain the raised alarms call for (etcd's restoreAlarms).
func (a *UberApplier) restoreAlarms() {
	ap := a.base
	if len(a.alarms.Get(pb.AlarmType_NOSPACE)) > 0 {
		ap = &applierV3Capped{applierV3: ap}
	}
	if len(a.alarms.Get(pb.AlarmType_CORRUPT)) > 0 {
		ap = &applierV3Corrupt{applierV3: ap}
	}
	a.cur.Store(&chain{ap})
}

func (a *UberApplier) applier() applierV3 { return a.cur.Load().applierV3 }

func (a *UberApplier) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	return a.applier().Put(ctx, r)
}

func (a *UberApplier) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	return a.applier().DeleteRange(ctx, r)
}

// Txn applies a txn that may write; a txn that only reads is served by txn.Txn directly, as
// etcd's EtcdServer.Txn serves it without raft and without the applier.
func (a *UberApplier) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	return a.applier().Txn(ctx, r)
}

// Compaction compacts the store; the channel closes when the physical part is done.
func (a *UberApplier) Compaction(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, <-chan struct{}, error) {
	return a.applier().Compaction(ctx, r)
}

// Alarm lists, raises or clears an alarm, and after a change rebuilds the chain: from the next
// request on, a raised NOSPACE refuses puts (etcd's uberApplier.Alarm).
func (a *UberApplier) Alarm(r *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	a.alarmMu.Lock()
	defer a.alarmMu.Unlock()
	resp, err := a.applier().Alarm(r)
	if r.Action == pb.AlarmRequest_ACTIVATE || r.Action == pb.AlarmRequest_DEACTIVATE {
		a.restoreAlarms()
	}
	return resp, err
}

// applierV3backend applies to the store (etcd's applierV3backend).
type applierV3backend struct {
	kv     *mvcc.Store
	alarms *v3alarm.AlarmStore
}

func (a *applierV3backend) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	return txn.Put(ctx, a.kv, r)
}

func (a *applierV3backend) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	return txn.DeleteRange(ctx, a.kv, r)
}

func (a *applierV3backend) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	return txn.Txn(ctx, a.kv, r)
}

func (a *applierV3backend) Compaction(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, <-chan struct{}, error) {
	physc, err := a.kv.Compact(ctx, r.Revision)
	if err != nil {
		return nil, nil, err
	}
	return &pb.CompactionResponse{Header: &pb.ResponseHeader{Revision: a.kv.Rev()}}, physc, nil
}

// Alarm is etcd's applierV3backend.Alarm: GET lists the alarms of a type (NONE: all of them, of
// every member, whatever memberID says); ACTIVATE and DEACTIVATE answer with the alarm they
// changed, or with none. ACTIVATE of NONE does nothing.
func (a *applierV3backend) Alarm(r *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	resp := &pb.AlarmResponse{}
	switch r.Action {
	case pb.AlarmRequest_GET:
		resp.Alarms = a.alarms.Get(r.Alarm)
	case pb.AlarmRequest_ACTIVATE:
		if m := a.alarms.Activate(r.MemberID, r.Alarm); m != nil {
			resp.Alarms = append(resp.Alarms, m)
		}
	case pb.AlarmRequest_DEACTIVATE:
		if m := a.alarms.Deactivate(r.MemberID, r.Alarm); m != nil {
			resp.Alarms = append(resp.Alarms, m)
		}
	default:
		// etcd v3.6.16 answers nil here, and its gRPC handler then crashes the server on the nil
		// response. The gRPC layer refuses an unknown action before it gets this far
		// (v3rpc's maintenanceServer.Alarm); should one come anyway, nothing changes.
	}
	return resp, nil
}

// quotaApplierV3 checks the quota again when the request is applied (etcd's quotaApplierV3): the
// gRPC layer checked it before, but other writes may have landed in between. As in etcd, a
// request that no longer fits is still applied, and then answered ErrNoSpace; the server raises
// the NOSPACE alarm on that answer, and from then on the capped applier refuses puts.
type quotaApplierV3 struct {
	applierV3
	q storage.Quota
}

func (a *quotaApplierV3) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	ok := a.q.Available(r)
	resp, err := a.applierV3.Put(ctx, r)
	if err == nil && !ok {
		err = errors.ErrNoSpace
	}
	return resp, err
}

func (a *quotaApplierV3) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	ok := a.q.Available(r)
	resp, err := a.applierV3.Txn(ctx, r)
	if err == nil && !ok {
		err = errors.ErrNoSpace
	}
	return resp, err
}

// applierV3Capped is the chain while NOSPACE is raised (etcd's applierV3Capped): no put and no
// txn that could put, so that the store stops growing. Deletes, txns without puts and compactions
// pass: they are how an operator makes room.
type applierV3Capped struct{ applierV3 }

func (a *applierV3Capped) Put(context.Context, *pb.PutRequest) (*pb.PutResponse, error) {
	return nil, errors.ErrNoSpace
}

func (a *applierV3Capped) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	if storage.Cost(r) > 0 {
		return nil, errors.ErrNoSpace
	}
	return a.applierV3.Txn(ctx, r)
}

// applierV3Corrupt is the chain while CORRUPT is raised (etcd's applierV3Corrupt): no write of
// any kind, since this member's data may differ from the others'. Reads are served as usual.
type applierV3Corrupt struct{ applierV3 }

func (a *applierV3Corrupt) Put(context.Context, *pb.PutRequest) (*pb.PutResponse, error) {
	return nil, errors.ErrCorrupt
}

func (a *applierV3Corrupt) DeleteRange(context.Context, *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	return nil, errors.ErrCorrupt
}

func (a *applierV3Corrupt) Txn(context.Context, *pb.TxnRequest) (*pb.TxnResponse, error) {
	return nil, errors.ErrCorrupt
}

func (a *applierV3Corrupt) Compaction(context.Context, *pb.CompactionRequest) (*pb.CompactionResponse, <-chan struct{}, error) {
	return nil, nil, errors.ErrCorrupt
}
