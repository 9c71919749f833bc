package v3rpc

import (
	"fmt"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"github.com/stretchr/testify/require"
)

func TestCheckRequests(t *testing.T) {
	k := []byte("k")
	tests := []struct {
		name string
		got  error
		want error // nil: etcd accepts the request
	}{
		{"range", CheckRangeRequest(&pb.RangeRequest{Key: k}), nil},
		{"range without a key", CheckRangeRequest(&pb.RangeRequest{RangeEnd: []byte("z")}), rpctypes.ErrGRPCEmptyKey},
		{"range with an unknown sort order", CheckRangeRequest(&pb.RangeRequest{Key: k, SortOrder: 99}), rpctypes.ErrGRPCInvalidSortOption},
		{"range with an unknown sort target", CheckRangeRequest(&pb.RangeRequest{Key: k, SortTarget: 99}), rpctypes.ErrGRPCInvalidSortOption},
		{"put with an empty value", CheckPutRequest(&pb.PutRequest{Key: k}), nil},
		{"put without a key", CheckPutRequest(&pb.PutRequest{Value: []byte("v")}), rpctypes.ErrGRPCEmptyKey},
		{"ignore_value with a value", CheckPutRequest(&pb.PutRequest{Key: k, Value: []byte("v"), IgnoreValue: true}), rpctypes.ErrGRPCValueProvided},
		{"ignore_lease with a lease", CheckPutRequest(&pb.PutRequest{Key: k, Lease: 7, IgnoreLease: true}), rpctypes.ErrGRPCLeaseProvided},
		{"delete", CheckDeleteRequest(&pb.DeleteRangeRequest{Key: k}), nil},
		{"delete without a key", CheckDeleteRequest(&pb.DeleteRangeRequest{}), rpctypes.ErrGRPCEmptyKey},
		{"txn comparing no key", CheckTxnRequest(&pb.TxnRequest{Compare: []*pb.Compare{{}}}, 128), rpctypes.ErrGRPCEmptyKey},
		{"txn with an operation holding no request", CheckTxnRequest(&pb.TxnRequest{Success: []*pb.RequestOp{{}}}, 128), rpctypes.ErrGRPCKeyNotFound},
		{"txn whose failure branch puts no key", CheckTxnRequest(&pb.TxnRequest{Failure: []*pb.RequestOp{
			{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{}}},
		}}, 128), rpctypes.ErrGRPCEmptyKey},
		{"nested txn ranging with a bad sort order", CheckTxnRequest(&pb.TxnRequest{Success: []*pb.RequestOp{
			{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{Success: []*pb.RequestOp{
				{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: k, SortOrder: 5}}},
			}}}},
		}}, 128), rpctypes.ErrGRPCInvalidSortOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				require.NoError(t, tt.got, "etcd accepts this request")
				return
			}
			require.Equal(t, tt.want, tt.got, "etcd refuses this request with %q", tt.want)
		})
	}
}

func TestCheckTxnRequestCountsNestedOps(t *testing.T) {
	puts := func(n int) []*pb.RequestOp {
		ops := make([]*pb.RequestOp, n)
		for i := range ops {
			ops[i] = &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: fmt.Appendf(nil, "k%d", i)}}}
		}
		return ops
	}
	nested := func(ops []*pb.RequestOp) *pb.RequestOp {
		return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{Success: ops}}}
	}
	cmps := func(n int) []*pb.Compare {
		out := make([]*pb.Compare, n)
		for i := range out {
			out[i] = &pb.Compare{Key: []byte("k")}
		}
		return out
	}
	tests := []struct {
		name    string
		r       *pb.TxnRequest
		tooMany bool
	}{
		{"as many operations as allowed", &pb.TxnRequest{Success: puts(4)}, false},
		{"one too many", &pb.TxnRequest{Failure: puts(5)}, true},
		{"comparisons count too", &pb.TxnRequest{Compare: cmps(5)}, true},
		{"the longest list counts, not the sum", &pb.TxnRequest{Compare: cmps(4), Success: puts(4), Failure: puts(4)}, false},
		{"a nested txn may use what the outer one left", &pb.TxnRequest{Success: append(puts(1), nested(puts(2)))}, false},
		{"but no more", &pb.TxnRequest{Success: append(puts(1), nested(puts(3)))}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTxnRequest(tt.r, 4)
			if tt.tooMany {
				require.Equal(t, rpctypes.ErrGRPCTooManyOps, err, "with --max-txn-ops 4, etcd refuses this txn")
			} else {
				require.NoError(t, err, "with --max-txn-ops 4, etcd accepts this txn")
			}
		})
	}
}
