package v3rpc

import (
	"errors"
	"strings"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/02-kvserver/storage"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// codec is gRPC's proto codec, except for how it reads a TxnRequest nested very deep.
//
// etcd decodes requests with gogoproto, which has no recursion limit. protobuf-go stops at a
// depth of 10000 (protowire.DefaultRecursionLimit), and a txn nests two messages per level
// (TxnRequest, RequestOp), so a txn nested 5000 deep or more would fail in the codec, before any
// handler runs: gRPC answers Internal "grpc: error unmarshalling request: proto: exceeded maximum
// recursion depth". etcd answers such a txn as it answers one nested 129 deep:
// checkTxnRequest's InvalidArgument "etcdserver: too many operations in txn request".
//
// So the codec decodes a txn that fails to decode again, with every txn nested deeper than
// checkTxnRequest can ever look replaced by a small one that costs the quota the same (see
// truncateTxn). Every level of nesting takes at least one operation of --max-txn-ops from the
// levels below, so the check never looks below level maxTxnOps+1: at that level, a txn that holds
// a nested txn has more operations than it has left. The answer is therefore etcd's, and the
// work bounded by --max-txn-ops, however deep the request: nothing here recurses deeper than the
// check itself does.
type codec struct {
	base      encoding.CodecV2
	maxLevel  int // the deepest level of a txn CheckTxnRequest can look at: maxTxnOps+1
	recursion int // protobuf's recursion limit, high enough for any txn of maxLevel levels
}

func newCodec(maxTxnOps uint) encoding.CodecV2 {
	maxLevel := int(maxTxnOps) + 1
	return &codec{
		base:      encoding.GetCodecV2(grpcproto.Name),
		maxLevel:  maxLevel,
		recursion: max(protowire.DefaultRecursionLimit, 2*(maxLevel+1)+8),
	}
}

func (c *codec) Name() string                           { return grpcproto.Name }
func (c *codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c *codec) Unmarshal(data mem.BufferSlice, v any) error {
	t, ok := v.(*pb.TxnRequest)
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	b := data.Materialize()
	opts := proto.UnmarshalOptions{RecursionLimit: c.recursion}
	err := opts.Unmarshal(b, t)
	if err == nil || !isRecursionLimit(err) {
		return err // malformed: gRPC's Internal "error unmarshalling request", as in etcd
	}
	// Too deep to decode. Cut what the check cannot reach; if nothing was cut, or what is left
	// does not decode either, protobuf's error stands.
	cut, changed, terr := truncateTxn(b, 1, c.maxLevel)
	if terr != nil || !changed {
		return err
	}
	if opts.Unmarshal(cut, t) != nil {
		return err
	}
	return nil
}

// isRecursionLimit tells protobuf's "exceeded maximum recursion depth" from its other decoding
// errors; protobuf-go exports no value to compare it with. A test pins the text.
func isRecursionLimit(err error) bool {
	return strings.Contains(err.Error(), "exceeded maximum recursion depth")
}

// Field numbers of the messages a txn nests through (rpc.proto).
const (
	txnSuccess   = 2 // TxnRequest.success, a RequestOp
	txnFailure   = 3 // TxnRequest.failure
	opRequestPut = 2 // RequestOp.request_put
	opRequestTxn = 4 // RequestOp.request_txn
	putKey       = 1 // PutRequest.key
	putValue     = 2 // PutRequest.value
)

var errMalformed = errors.New("v3rpc: malformed txn request")

// truncateTxn returns the encoded TxnRequest b at nesting level level, with every txn below
// maxLevel replaced by stubTxn of its costs. changed is false, and out nil, if nothing was cut.
// It works on the wire bytes and keeps every other field as it was, in its place, so that
// protobuf's merging of repeated occurrences decodes the rest exactly as before. It recurses no
// deeper than maxLevel.
func truncateTxn(b []byte, level, maxLevel int) (out []byte, changed bool, err error) {
	return rewriteFields(b, func(num protowire.Number, v []byte) ([]byte, bool, error) {
		if num != txnSuccess && num != txnFailure {
			return nil, false, nil
		}
		return truncateOp(v, level, maxLevel)
	})
}

func truncateOp(b []byte, level, maxLevel int) ([]byte, bool, error) {
	return rewriteFields(b, func(num protowire.Number, v []byte) ([]byte, bool, error) {
		if num != opRequestTxn {
			return nil, false, nil
		}
		if level+1 <= maxLevel {
			return truncateTxn(v, level+1, maxLevel)
		}
		s, f, err := wireTxnCosts(v)
		if err != nil {
			return nil, false, err
		}
		return stubTxn(s, f), true, nil
	})
}

// rewriteFields copies the message b, field by field, replacing the payload of a
// length-delimited field where f says so. It allocates only once something changes.
func rewriteFields(b []byte, f func(num protowire.Number, v []byte) ([]byte, bool, error)) ([]byte, bool, error) {
	var out []byte
	changed := false
	for pos := 0; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 {
			return nil, false, errMalformed
		}
		m := protowire.ConsumeFieldValue(num, typ, b[pos+n:])
		if m < 0 {
			return nil, false, errMalformed
		}
		field := b[pos : pos+n+m]
		var nv []byte
		var ch bool
		if typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b[pos+n:])
			var err error
			if nv, ch, err = f(num, v); err != nil {
				return nil, false, err
			}
		}
		if ch && !changed {
			changed = true
			out = append(make([]byte, 0, len(b)), b[:pos]...)
		}
		switch {
		case ch:
			out = protowire.AppendTag(out, num, protowire.BytesType)
			out = protowire.AppendBytes(out, nv)
		case changed:
			out = append(out, field...)
		}
		pos += n + m
	}
	return out, changed, nil
}

// stubTxn encodes a TxnRequest whose branches cost success and failure bytes of quota: one put
// each, of an empty key and a value of cost-kvOverhead bytes (a branch that costs anything costs
// at least storage.KVOverhead). Merged with its siblings as protobuf merges repeated occurrences, it adds
// to each branch what the txn it stands for added.
func stubTxn(success, failure int) []byte {
	var b []byte
	for _, br := range []struct {
		num  protowire.Number
		cost int
	}{{txnSuccess, success}, {txnFailure, failure}} {
		if br.cost == 0 {
			continue
		}
		var put []byte
		put = protowire.AppendTag(put, putValue, protowire.BytesType)
		put = protowire.AppendBytes(put, make([]byte, br.cost-storage.KVOverhead))
		var op []byte
		op = protowire.AppendTag(op, opRequestPut, protowire.BytesType)
		op = protowire.AppendBytes(op, put)
		b = protowire.AppendTag(b, br.num, protowire.BytesType)
		b = protowire.AppendBytes(b, op)
	}
	return b
}

// wireTxnCosts computes, on the encoded TxnRequest b, what the quota's costTxn computes on the
// decoded one, for each branch: the sum of its puts' costs (kvOverhead plus key and value) and of
// its nested txns' costs (the costlier branch of each). It walks the bytes with a stack of its
// own instead of recursing, since b may nest arbitrarily deep. It follows protobuf's decoding
// rules where they change the costs: occurrences of a txn's repeated fields add up, a later
// PutRequest key or value replaces an earlier one, and a RequestOp holds the oneof member that
// came last (merged with earlier occurrences of the same member).
func wireTxnCosts(b []byte) (success, failure int, err error) {
	type frame struct {
		end  int
		txn  bool   // a TxnRequest, else a RequestOp
		sums [2]int // TxnRequest: the costs of success and failure
		// RequestOp:
		branch         int              // the parent's branch: 0 success, 1 failure
		kind           protowire.Number // the oneof member set last (0: none)
		keyLen, valLen int              // of the put, when kind is request_put
		nested         [2]int           // of the txn, when kind is request_txn
	}
	stack := []*frame{{end: len(b), txn: true}}
	pos := 0
	for {
		top := stack[len(stack)-1]
		if pos == top.end {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return top.sums[0], top.sums[1], nil
			}
			parent := stack[len(stack)-1]
			if top.txn {
				parent.nested[0] += top.sums[0]
				parent.nested[1] += top.sums[1]
				continue
			}
			switch top.kind {
			case opRequestPut:
				parent.sums[top.branch] += storage.KVOverhead + top.keyLen + top.valLen
			case opRequestTxn:
				parent.sums[top.branch] += max(top.nested[0], top.nested[1])
			}
			continue
		}
		num, typ, n := protowire.ConsumeTag(b[pos:top.end])
		if n < 0 {
			return 0, 0, errMalformed
		}
		pos += n
		if typ != protowire.BytesType {
			m := protowire.ConsumeFieldValue(num, typ, b[pos:top.end])
			if m < 0 {
				return 0, 0, errMalformed
			}
			pos += m // a oneof member in another wire type is an unknown field to protobuf too
			continue
		}
		v, m := protowire.ConsumeBytes(b[pos:top.end])
		if m < 0 {
			return 0, 0, errMalformed
		}
		start, end := pos+m-len(v), pos+m
		pos = end
		switch {
		case top.txn && (num == txnSuccess || num == txnFailure):
			stack = append(stack, &frame{end: end, branch: int(num - txnSuccess)})
			pos = start
		case top.txn:
		case num == opRequestTxn:
			if top.kind != opRequestTxn {
				top.kind, top.nested = opRequestTxn, [2]int{}
			}
			stack = append(stack, &frame{end: end, txn: true})
			pos = start
		case num == opRequestPut:
			if top.kind != opRequestPut {
				top.kind, top.keyLen, top.valLen = opRequestPut, 0, 0
			}
			if err := putLens(v, &top.keyLen, &top.valLen); err != nil {
				return 0, 0, err
			}
		case num >= 1 && num <= 4: // request_range, request_delete_range: no cost
			top.kind = num
		}
	}
}

// putLens sets the lengths of the key and value an encoded PutRequest carries, where it carries
// them (the last occurrence of each wins, as protobuf decodes them).
func putLens(b []byte, keyLen, valLen *int) error {
	for pos := 0; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 {
			return errMalformed
		}
		pos += n
		if typ == protowire.BytesType && (num == putKey || num == putValue) {
			v, m := protowire.ConsumeBytes(b[pos:])
			if m < 0 {
				return errMalformed
			}
			if num == putKey {
				*keyLen = len(v)
			} else {
				*valLen = len(v)
			}
			pos += m
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b[pos:])
		if m < 0 {
			return errMalformed
		}
		pos += m
	}
	return nil
}
