package v3alarm

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/02-kvserver/storage/backend"

	"google.golang.org/protobuf/proto"
)

// AlarmStore holds the active alarms, one per member and type, in memory and in the backend's
// alarm bucket (etcd's AlarmStore). It is safe for concurrent use.
type AlarmStore struct {
	mu    sync.Mutex
	types map[pb.AlarmType]map[uint64]*pb.AlarmMember // type -> member ID -> alarm
	be    *backend.Backend
}

// NewAlarmStore loads the alarms saved in be (etcd's NewAlarmStore and restore): an alarm raised
// before a restart is still raised after it.
func NewAlarmStore(be *backend.Backend) (*AlarmStore, error) {
	a := &AlarmStore{be: be}
	if err := a.Restore(); err != nil {
		return nil, err
	}
	return a, nil
}

// Restore reloads the alarms from the backend, dropping those it held (etcd's restoreAlarms, in
// applySnapshot): after a follower's backend is replaced by a leader's snapshot, the alarms are
// the leader's.
func (a *AlarmStore) Restore() error {
	types := make(map[pb.AlarmType]map[uint64]*pb.AlarmMember)
	err := a.be.View(func(tx *backend.ReadTx) error {
		var err error
		tx.ForEach(backend.Alarm, nil, nil, func(k, _ []byte) bool {
			m := &pb.AlarmMember{}
			if err = proto.Unmarshal(k, m); err != nil {
				err = fmt.Errorf("v3alarm: restore alarm %x: %w", k, err)
				return false
			}
			addToMap(types, m)
			return true
		})
		return err
	})
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.types = types
	a.mu.Unlock()
	return nil
}

// Activate raises alarm at for member id and returns it; if it is raised already, it returns the
// alarm as it was, and writes nothing. NONE is no alarm: it returns nil (etcd's applier skips it
// before it gets here, since etcd-io/etcd#13084: member 0 with NONE marshals to an empty key,
// which bbolt refuses).
func (a *AlarmStore) Activate(id uint64, at pb.AlarmType) *pb.AlarmMember {
	if at == pb.AlarmType_NONE {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	m := &pb.AlarmMember{MemberID: id, Alarm: at}
	if old := addToMap(a.types, m); old != m {
		return proto.Clone(old).(*pb.AlarmMember)
	}
	a.be.Lock()
	a.be.UnsafePut(backend.Alarm, alarmKey(m), nil)
	a.be.Unlock()
	return proto.Clone(m).(*pb.AlarmMember)
}

// Deactivate clears alarm at of member id and returns it, or returns nil if it was not raised.
func (a *AlarmStore) Deactivate(id uint64, at pb.AlarmType) *pb.AlarmMember {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.types[at][id]
	if m == nil {
		return nil
	}
	delete(a.types[at], id)
	a.be.Lock()
	a.be.UnsafeDelete(backend.Alarm, alarmKey(m))
	a.be.Unlock()
	return proto.Clone(m).(*pb.AlarmMember)
}

// Get returns the active alarms of type at, or all of them for AlarmType_NONE, in the order of
// type and member ID (etcd returns them in map order, which is random; any order is etcd's).
func (a *AlarmStore) Get(at pb.AlarmType) []*pb.AlarmMember {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ret []*pb.AlarmMember
	for t, set := range a.types {
		if at != pb.AlarmType_NONE && t != at {
			continue
		}
		for _, m := range set {
			ret = append(ret, proto.Clone(m).(*pb.AlarmMember))
		}
	}
	slices.SortFunc(ret, func(x, y *pb.AlarmMember) int {
		return cmp.Or(cmp.Compare(x.Alarm, y.Alarm), cmp.Compare(x.MemberID, y.MemberID))
	})
	return ret
}

// addToMap adds m to types unless its member already has that alarm, and returns the one in
// the map.
func addToMap(types map[pb.AlarmType]map[uint64]*pb.AlarmMember, m *pb.AlarmMember) *pb.AlarmMember {
	set := types[m.Alarm]
	if set == nil {
		set = make(map[uint64]*pb.AlarmMember)
		types[m.Alarm] = set
	}
	if old := set[m.MemberID]; old != nil {
		return old
	}
	set[m.MemberID] = m
	return m
}

// alarmKey is the alarm's key in the bucket: the marshaled AlarmMember, as etcd stores it. The
// bytes are the same as etcd's (field 1, then field 2, zero fields left out), since an
// AlarmMember has only two scalar fields.
func alarmKey(m *pb.AlarmMember) []byte {
	k, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("v3alarm: marshal %v: %v", m, err)) // two scalar fields always marshal
	}
	return k
}
