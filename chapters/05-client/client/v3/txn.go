package clientv3

import (
	"context"
	"sync"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"google.golang.org/grpc"
)

// Txn is a transaction being built:
//
//	cli.Txn(ctx).If(Compare(Value("k"), "=", "v")).Then(OpPut("k", "w")).Else(OpGet("k")).Commit()
//
// If, Then and Else each at most once, in that order; they panic otherwise, as etcd's do.
type Txn interface {
	If(cs ...Cmp) Txn
	Then(ops ...Op) Txn
	Else(ops ...Op) Txn
	Commit() (*TxnResponse, error)
}

type txn struct {
	kv  *kv
	ctx context.Context

	mu    sync.Mutex
	cif   bool
	cthen bool
	celse bool

	cmps []*pb.Compare
	sus  []*pb.RequestOp
	fas  []*pb.RequestOp

	callOpts []grpc.CallOption
}

func (txn *txn) If(cs ...Cmp) Txn {
	txn.mu.Lock()
	defer txn.mu.Unlock()
	switch {
	case txn.cif:
		panic("cannot call If twice!")
	case txn.cthen:
		panic("cannot call If after Then!")
	case txn.celse:
		panic("cannot call If after Else!")
	}
	txn.cif = true
	for _, c := range cs {
		txn.cmps = append(txn.cmps, c.toCompare())
	}
	return txn
}

func (txn *txn) Then(ops ...Op) Txn {
	txn.mu.Lock()
	defer txn.mu.Unlock()
	switch {
	case txn.cthen:
		panic("cannot call Then twice!")
	case txn.celse:
		panic("cannot call Then after Else!")
	}
	txn.cthen = true
	for _, op := range ops {
		txn.sus = append(txn.sus, op.toRequestOp())
	}
	return txn
}

func (txn *txn) Else(ops ...Op) Txn {
	txn.mu.Lock()
	defer txn.mu.Unlock()
	if txn.celse {
		panic("cannot call Else twice!")
	}
	txn.celse = true
	for _, op := range ops {
		txn.fas = append(txn.fas, op.toRequestOp())
	}
	return txn
}

// Commit sends the Txn. A Txn is never retried, even when it only reads: the retrying KVClient
// passes it through as a mutation (etcd v3.6 does the same).
func (txn *txn) Commit() (*TxnResponse, error) {
	txn.mu.Lock()
	defer txn.mu.Unlock()
	r := &pb.TxnRequest{Compare: txn.cmps, Success: txn.sus, Failure: txn.fas}
	resp, err := txn.kv.remote.Txn(txn.ctx, r, txn.callOpts...)
	if err != nil {
		return nil, ContextError(txn.ctx, err)
	}
	return (*TxnResponse)(resp), nil
}
