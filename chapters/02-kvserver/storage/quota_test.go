package storage

import (
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/config"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

type size int64

func (s size) Size() int64 { return int64(s) }

func putOp(k string, n int) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(k), Value: make([]byte, n)}}}
}

func TestCost(t *testing.T) {
	tests := []struct {
		name string
		req  proto.Message
		want int
	}{
		{"a put: overhead, key and value", &pb.PutRequest{Key: []byte("ab"), Value: make([]byte, 10)}, 256 + 2 + 10},
		{"a txn: its costlier branch", &pb.TxnRequest{Success: []*pb.RequestOp{putOp("a", 1)}, Failure: []*pb.RequestOp{putOp("a", 1), putOp("b", 1)}}, 2 * 258},
		{"a nested txn counts its costlier branch", &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{
			Success: []*pb.RequestOp{putOp("a", 0)}, Failure: []*pb.RequestOp{putOp("abc", 0)}}}}}}, 259},
		{"a txn that only reads and deletes costs nothing", &pb.TxnRequest{Success: []*pb.RequestOp{
			{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte("a")}}}}}, 0},
		{"a delete costs nothing", &pb.DeleteRangeRequest{Key: []byte("a")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Cost(tt.req), "etcd's costPut/costTxn")
		})
	}
}

func TestBackendQuota(t *testing.T) {
	put := &pb.PutRequest{Key: []byte("k"), Value: make([]byte, 43)} // costs 300
	tests := []struct {
		name      string
		quota     int64
		size      int64
		available bool
		remaining int64
	}{
		{"fits below the quota", 1000, 699, true, 301},
		{"reaching the quota exactly does not fit", 1000, 700, false, 300},
		{"0 is etcd's 2 GiB", 0, 1 << 30, true, config.DefaultQuotaBytes - 1<<30},
		{"negative is no quota", -1, 1 << 40, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewBackendQuota(tt.quota, size(tt.size))
			require.Equal(t, tt.available, q.Available(put))
			require.True(t, q.Available(&pb.DeleteRangeRequest{Key: []byte("k")}), "what costs nothing always fits")
			require.Equal(t, tt.remaining, q.Remaining())
		})
	}
}
