package clientv3

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

type opType int

const (
	tRange opType = iota + 1
	tPut
	tDeleteRange
	tTxn
)

// noPrefixEnd is the range end of a prefix with no key after it ("\xff\xff"): every key from
// the prefix on, as "\x00" means to the server.
var noPrefixEnd = []byte{0}

// LeaseID is a lease's ID; the server of these chapters knows no lease, so a Put with one gets
// "requested lease not found", as from an etcd where the lease has expired.
type LeaseID int64

// Op is one request, built by OpGet, OpPut, OpDelete or OpTxn and its options, and sent by
// KV.Do or inside a Txn (etcd's clientv3.Op). The fields are unexported: an Op is made only
// through the functions that check it.
type Op struct {
	t   opType
	key []byte
	end []byte

	// for ranges
	limit        int64
	sort         *SortOption
	serializable bool
	keysOnly     bool
	countOnly    bool
	minModRev    int64
	maxModRev    int64
	minCreateRev int64
	maxCreateRev int64
	rev          int64

	// for puts and deletes
	prevKV      bool
	ignoreValue bool
	ignoreLease bool
	val         []byte
	leaseID     LeaseID

	// for txns
	cmps    []Cmp
	thenOps []Op
	elseOps []Op

	isOptsWithFromKey bool
	isOptsWithPrefix  bool
}

func (op Op) IsTxn() bool                { return op.t == tTxn }
func (op Op) Txn() ([]Cmp, []Op, []Op)   { return op.cmps, op.thenOps, op.elseOps }
func (op Op) KeyBytes() []byte           { return op.key }
func (op *Op) WithKeyBytes(key []byte)   { op.key = key }
func (op Op) RangeBytes() []byte         { return op.end }
func (op *Op) WithRangeBytes(end []byte) { op.end = end }
func (op Op) ValueBytes() []byte         { return op.val }
func (op *Op) WithValueBytes(v []byte)   { op.val = v }
func (op Op) Rev() int64                 { return op.rev }
func (op Op) Limit() int64               { return op.limit }
func (op Op) IsPut() bool                { return op.t == tPut }
func (op Op) IsGet() bool                { return op.t == tRange }
func (op Op) IsDelete() bool             { return op.t == tDeleteRange }
func (op Op) IsSerializable() bool       { return op.serializable }
func (op Op) IsKeysOnly() bool           { return op.keysOnly }
func (op Op) IsCountOnly() bool          { return op.countOnly }
func (op Op) IsOptsWithFromKey() bool    { return op.isOptsWithFromKey }
func (op Op) IsOptsWithPrefix() bool     { return op.isOptsWithPrefix }
func (op Op) MinModRev() int64           { return op.minModRev }
func (op Op) MaxModRev() int64           { return op.maxModRev }
func (op Op) MinCreateRev() int64        { return op.minCreateRev }
func (op Op) MaxCreateRev() int64        { return op.maxCreateRev }
func (op *Op) applyOpts(opts []OpOption) { applyAll(op, opts) }

func applyAll(op *Op, opts []OpOption) {
	for _, opt := range opts {
		opt(op)
	}
}

// The constructors panic on options that make no sense for the request, as etcd's do: that is a
// mistake in the calling program, not a request the server should see.

// OpGet is a Range of key, or of the range its options give.
func OpGet(key string, opts ...OpOption) Op {
	if IsOptsWithPrefix(opts) && IsOptsWithFromKey(opts) {
		panic("`WithPrefix` and `WithFromKey` cannot be set at the same time, choose one")
	}
	op := Op{t: tRange, key: []byte(key)}
	op.applyOpts(opts)
	return op
}

// OpDelete is a DeleteRange of key, or of the range its options give.
func OpDelete(key string, opts ...OpOption) Op {
	if IsOptsWithPrefix(opts) && IsOptsWithFromKey(opts) {
		panic("`WithPrefix` and `WithFromKey` cannot be set at the same time, choose one")
	}
	op := Op{t: tDeleteRange, key: []byte(key)}
	op.applyOpts(opts)
	switch {
	case op.leaseID != 0:
		panic("unexpected lease in delete")
	case op.limit != 0:
		panic("unexpected limit in delete")
	case op.rev != 0:
		panic("unexpected revision in delete")
	case op.sort != nil:
		panic("unexpected sort in delete")
	case op.serializable:
		panic("unexpected serializable in delete")
	case op.countOnly:
		panic("unexpected countOnly in delete")
	case op.minModRev != 0, op.maxModRev != 0:
		panic("unexpected mod revision filter in delete")
	case op.minCreateRev != 0, op.maxCreateRev != 0:
		panic("unexpected create revision filter in delete")
	}
	return op
}

// OpPut is a Put of val at key.
func OpPut(key, val string, opts ...OpOption) Op {
	op := Op{t: tPut, key: []byte(key), val: []byte(val)}
	op.applyOpts(opts)
	switch {
	case op.end != nil:
		panic("unexpected range in put")
	case op.limit != 0:
		panic("unexpected limit in put")
	case op.rev != 0:
		panic("unexpected revision in put")
	case op.sort != nil:
		panic("unexpected sort in put")
	case op.serializable:
		panic("unexpected serializable in put")
	case op.countOnly:
		panic("unexpected countOnly in put")
	case op.minModRev != 0, op.maxModRev != 0:
		panic("unexpected mod revision filter in put")
	case op.minCreateRev != 0, op.maxCreateRev != 0:
		panic("unexpected create revision filter in put")
	}
	return op
}

// OpTxn is a Txn: if every cmp holds, thenOps, else elseOps.
func OpTxn(cmps []Cmp, thenOps []Op, elseOps []Op) Op {
	return Op{t: tTxn, cmps: cmps, thenOps: thenOps, elseOps: elseOps}
}

// OpOption sets one field of an Op.
type OpOption func(*Op)

func WithLease(leaseID LeaseID) OpOption { return func(op *Op) { op.leaseID = leaseID } }
func WithLimit(n int64) OpOption         { return func(op *Op) { op.limit = n } }
func WithRev(rev int64) OpOption         { return func(op *Op) { op.rev = rev } }

// WithSort sorts a Get's keys. Sorting by key ascending is the server's own order, so it is sent
// as no sort at all.
func WithSort(target SortTarget, order SortOrder) OpOption {
	return func(op *Op) {
		if target == SortByKey && order == SortAscend {
			order = SortNone
		}
		op.sort = &SortOption{target, order}
	}
}

// GetPrefixRangeEnd is the range end that, with prefix as the key, covers every key that starts
// with prefix.
func GetPrefixRangeEnd(prefix string) string { return string(getPrefix([]byte(prefix))) }

// WithPrefix covers every key that starts with the Op's key; with an empty key, every key.
func WithPrefix() OpOption {
	return func(op *Op) {
		op.isOptsWithPrefix = true
		if len(op.key) == 0 {
			op.key, op.end = []byte{0}, []byte{0}
			return
		}
		op.end = getPrefix(op.key)
	}
}

// WithRange covers the keys from the Op's key up to endKey, not included.
func WithRange(endKey string) OpOption { return func(op *Op) { op.end = []byte(endKey) } }

// WithFromKey covers every key from the Op's key on.
func WithFromKey() OpOption {
	return func(op *Op) {
		if len(op.key) == 0 {
			op.key = []byte{0}
		}
		op.end = []byte("\x00")
		op.isOptsWithFromKey = true
	}
}

func WithSerializable() OpOption          { return func(op *Op) { op.serializable = true } }
func WithKeysOnly() OpOption              { return func(op *Op) { op.keysOnly = true } }
func WithCountOnly() OpOption             { return func(op *Op) { op.countOnly = true } }
func WithMinModRev(rev int64) OpOption    { return func(op *Op) { op.minModRev = rev } }
func WithMaxModRev(rev int64) OpOption    { return func(op *Op) { op.maxModRev = rev } }
func WithMinCreateRev(rev int64) OpOption { return func(op *Op) { op.minCreateRev = rev } }
func WithMaxCreateRev(rev int64) OpOption { return func(op *Op) { op.maxCreateRev = rev } }
func WithPrevKV() OpOption                { return func(op *Op) { op.prevKV = true } }
func WithIgnoreValue() OpOption           { return func(op *Op) { op.ignoreValue = true } }
func WithIgnoreLease() OpOption           { return func(op *Op) { op.ignoreLease = true } }

// The first or last key of a prefix by some order: a sorted Get with a limit of 1.
func WithFirstCreate() []OpOption { return withTop(SortByCreateRevision, SortAscend) }
func WithLastCreate() []OpOption  { return withTop(SortByCreateRevision, SortDescend) }
func WithFirstKey() []OpOption    { return withTop(SortByKey, SortAscend) }
func WithLastKey() []OpOption     { return withTop(SortByKey, SortDescend) }
func WithFirstRev() []OpOption    { return withTop(SortByModRevision, SortAscend) }
func WithLastRev() []OpOption     { return withTop(SortByModRevision, SortDescend) }

func withTop(target SortTarget, order SortOrder) []OpOption {
	return []OpOption{WithPrefix(), WithSort(target, order), WithLimit(1)}
}

// IsOptsWithPrefix tells whether opts include WithPrefix.
func IsOptsWithPrefix(opts []OpOption) bool {
	op := Op{key: []byte{}}
	applyAll(&op, opts)
	return op.isOptsWithPrefix
}

// IsOptsWithFromKey tells whether opts include WithFromKey.
func IsOptsWithFromKey(opts []OpOption) bool {
	op := Op{key: []byte{}}
	applyAll(&op, opts)
	return op.isOptsWithFromKey
}

// IsSortOptionValid tells whether the sort target and order are values the server knows.
func (op Op) IsSortOptionValid() bool {
	if op.sort == nil {
		return true
	}
	_, okOrder := pb.RangeRequest_SortOrder_name[int32(op.sort.Order)]
	_, okTarget := pb.RangeRequest_SortTarget_name[int32(op.sort.Target)]
	return okOrder && okTarget
}
