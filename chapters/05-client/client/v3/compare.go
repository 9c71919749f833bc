package clientv3

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

type CompareTarget int
type CompareResult int

const (
	CompareVersion CompareTarget = iota
	CompareCreated
	CompareModified
	CompareValue
)

// Cmp is one condition of a Txn, built by Value, Version, CreateRevision, ModRevision or
// LeaseValue and then Compare (etcd's clientv3.Cmp). etcd defines it as pb.Compare itself; ours
// is a plain struct turned into one when sent, because a protoc-gen-go message must not be
// copied by value and a Cmp is passed around by value.
type Cmp struct {
	Target   pb.Compare_CompareTarget
	Result   pb.Compare_CompareResult
	Key      []byte
	RangeEnd []byte

	// the value compared against, of the Target's kind
	value     []byte
	version   int64
	createRev int64
	modRev    int64
	lease     int64
	compared  bool // Compare has set the value: without it, none is sent
}

// Compare finishes a Cmp: result is "=", "!=", ">" or "<", and v the value to compare with (a
// string for Value, an int64 or int for the others). It panics on anything else, as etcd's does.
func Compare(cmp Cmp, result string, v any) Cmp {
	switch result {
	case "=":
		cmp.Result = pb.Compare_EQUAL
	case "!=":
		cmp.Result = pb.Compare_NOT_EQUAL
	case ">":
		cmp.Result = pb.Compare_GREATER
	case "<":
		cmp.Result = pb.Compare_LESS
	default:
		panic("Unknown result op")
	}
	cmp.compared = true
	switch cmp.Target {
	case pb.Compare_VALUE:
		s, ok := v.(string)
		if !ok {
			panic("bad compare value")
		}
		cmp.value = []byte(s)
	case pb.Compare_VERSION:
		cmp.version = mustInt64(v)
	case pb.Compare_CREATE:
		cmp.createRev = mustInt64(v)
	case pb.Compare_MOD:
		cmp.modRev = mustInt64(v)
	case pb.Compare_LEASE:
		cmp.lease = mustInt64orLeaseID(v)
	default:
		panic("Unknown compare type")
	}
	return cmp
}

func Value(key string) Cmp          { return Cmp{Key: []byte(key), Target: pb.Compare_VALUE} }
func Version(key string) Cmp        { return Cmp{Key: []byte(key), Target: pb.Compare_VERSION} }
func CreateRevision(key string) Cmp { return Cmp{Key: []byte(key), Target: pb.Compare_CREATE} }
func ModRevision(key string) Cmp    { return Cmp{Key: []byte(key), Target: pb.Compare_MOD} }
func LeaseValue(key string) Cmp     { return Cmp{Key: []byte(key), Target: pb.Compare_LEASE} }

func (cmp *Cmp) KeyBytes() []byte        { return cmp.Key }
func (cmp *Cmp) WithKeyBytes(key []byte) { cmp.Key = key }
func (cmp *Cmp) ValueBytes() []byte      { return cmp.value }
func (cmp *Cmp) WithValueBytes(v []byte) { cmp.value, cmp.compared = v, true }

// WithRange makes the condition hold for every key from Key up to end.
func (cmp Cmp) WithRange(end string) Cmp {
	cmp.RangeEnd = []byte(end)
	return cmp
}

// WithPrefix makes the condition hold for every key that starts with Key.
func (cmp Cmp) WithPrefix() Cmp {
	if len(cmp.Key) == 0 {
		cmp.Key, cmp.RangeEnd = []byte{0}, []byte{0}
		return cmp
	}
	cmp.RangeEnd = getPrefix(cmp.Key)
	return cmp
}

// toCompare is the Compare the server gets.
func (cmp Cmp) toCompare() *pb.Compare {
	c := &pb.Compare{Target: cmp.Target, Result: cmp.Result, Key: cmp.Key, RangeEnd: cmp.RangeEnd}
	if !cmp.compared {
		return c
	}
	switch cmp.Target {
	case pb.Compare_VALUE:
		c.TargetUnion = &pb.Compare_Value{Value: cmp.value}
	case pb.Compare_VERSION:
		c.TargetUnion = &pb.Compare_Version{Version: cmp.version}
	case pb.Compare_CREATE:
		c.TargetUnion = &pb.Compare_CreateRevision{CreateRevision: cmp.createRev}
	case pb.Compare_MOD:
		c.TargetUnion = &pb.Compare_ModRevision{ModRevision: cmp.modRev}
	case pb.Compare_LEASE:
		c.TargetUnion = &pb.Compare_Lease{Lease: cmp.lease}
	}
	return c
}

func mustInt64(val any) int64 {
	switch v := val.(type) {
	case int64:
		return v
	case int:
		return int64(v)
	}
	panic("bad value")
}

func mustInt64orLeaseID(val any) int64 {
	if v, ok := val.(LeaseID); ok {
		return int64(v)
	}
	return mustInt64(val)
}
