package clientv3

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"google.golang.org/grpc"
)

// The responses are the server's, under the client's names (etcd's kv.go), so that a
// GetResponse has Kvs, Count and More as a RangeResponse does.
type (
	CompactResponse pb.CompactionResponse
	PutResponse     pb.PutResponse
	GetResponse     pb.RangeResponse
	DeleteResponse  pb.DeleteRangeResponse
	TxnResponse     pb.TxnResponse
)

// KV is the key-value API of a client (etcd's clientv3.KV).
type KV interface {
	// Put sets key to val.
	Put(ctx context.Context, key, val string, opts ...OpOption) (*PutResponse, error)

	// Get reads key, or the range its options give (WithPrefix, WithRange, WithFromKey). A Get
	// is linearizable unless WithSerializable is given.
	Get(ctx context.Context, key string, opts ...OpOption) (*GetResponse, error)

	// Delete deletes key, or the range its options give.
	Delete(ctx context.Context, key string, opts ...OpOption) (*DeleteResponse, error)

	// Compact drops the history before revision rev.
	Compact(ctx context.Context, rev int64, opts ...CompactOption) (*CompactResponse, error)

	// Do sends one Op, whatever its kind.
	Do(ctx context.Context, op Op) (OpResponse, error)

	// Txn starts a transaction: If, Then, Else, then Commit.
	Txn(ctx context.Context) Txn
}

// OpResponse is the response to an Op: one of its four is set.
type OpResponse struct {
	put *PutResponse
	get *GetResponse
	del *DeleteResponse
	txn *TxnResponse
}

func (op OpResponse) Put() *PutResponse    { return op.put }
func (op OpResponse) Get() *GetResponse    { return op.get }
func (op OpResponse) Del() *DeleteResponse { return op.del }
func (op OpResponse) Txn() *TxnResponse    { return op.txn }

func (resp *PutResponse) OpResponse() OpResponse    { return OpResponse{put: resp} }
func (resp *GetResponse) OpResponse() OpResponse    { return OpResponse{get: resp} }
func (resp *DeleteResponse) OpResponse() OpResponse { return OpResponse{del: resp} }
func (resp *TxnResponse) OpResponse() OpResponse    { return OpResponse{txn: resp} }

type kv struct {
	remote   pb.KVClient
	callOpts []grpc.CallOption
}

// NewKV is the KV of a client: its calls go through the retrying KVClient.
func NewKV(c *Client) KV {
	return &kv{remote: RetryKVClient(c), callOpts: c.callOpts}
}

// NewKVFromKVClient is a KV over any KVClient (a test double, say), without retries.
func NewKVFromKVClient(remote pb.KVClient, c *Client) KV {
	api := &kv{remote: remote}
	if c != nil {
		api.callOpts = c.callOpts
	}
	return api
}

func (kv *kv) Put(ctx context.Context, key, val string, opts ...OpOption) (*PutResponse, error) {
	r, err := kv.Do(ctx, OpPut(key, val, opts...))
	return r.put, ContextError(ctx, err)
}

func (kv *kv) Get(ctx context.Context, key string, opts ...OpOption) (*GetResponse, error) {
	r, err := kv.Do(ctx, OpGet(key, opts...))
	return r.get, ContextError(ctx, err)
}

func (kv *kv) Delete(ctx context.Context, key string, opts ...OpOption) (*DeleteResponse, error) {
	r, err := kv.Do(ctx, OpDelete(key, opts...))
	return r.del, ContextError(ctx, err)
}

func (kv *kv) Compact(ctx context.Context, rev int64, opts ...CompactOption) (*CompactResponse, error) {
	resp, err := kv.remote.Compact(ctx, OpCompact(rev, opts...).toRequest(), kv.callOpts...)
	if err != nil {
		return nil, ContextError(ctx, err)
	}
	return (*CompactResponse)(resp), nil
}

func (kv *kv) Txn(ctx context.Context) Txn {
	return &txn{kv: kv, ctx: ctx, callOpts: kv.callOpts}
}

// Do is where every KV call becomes a gRPC call: the Op turned into its request, sent through
// the retrying KVClient, the answer under the client's response type, and a gRPC error turned
// into the etcd error it stands for (etcd's kv.Do).
func (kv *kv) Do(ctx context.Context, op Op) (OpResponse, error) {
	var err error
	switch op.t {
	case tRange:
		if !op.IsSortOptionValid() {
			return OpResponse{}, rpctypes.ErrInvalidSortOption
		}
		var resp *pb.RangeResponse
		if resp, err = kv.remote.Range(ctx, op.toRangeRequest(), kv.callOpts...); err == nil {
			return OpResponse{get: (*GetResponse)(resp)}, nil
		}
	case tPut:
		var resp *pb.PutResponse
		if resp, err = kv.remote.Put(ctx, op.toPutRequest(), kv.callOpts...); err == nil {
			return OpResponse{put: (*PutResponse)(resp)}, nil
		}
	case tDeleteRange:
		var resp *pb.DeleteRangeResponse
		if resp, err = kv.remote.DeleteRange(ctx, op.toDeleteRangeRequest(), kv.callOpts...); err == nil {
			return OpResponse{del: (*DeleteResponse)(resp)}, nil
		}
	case tTxn:
		var resp *pb.TxnResponse
		if resp, err = kv.remote.Txn(ctx, op.toTxnRequest(), kv.callOpts...); err == nil {
			return OpResponse{txn: (*TxnResponse)(resp)}, nil
		}
	default:
		panic("Unknown op")
	}
	return OpResponse{}, ContextError(ctx, err)
}
