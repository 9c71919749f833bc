package server

import (
	"strings"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"

	"github.com/stretchr/testify/require"
)

func TestPut(t *testing.T) {
	s := newTestServer(t)
	// A fresh store is at revision 1, so the first write creates revision 2, as in etcd.
	require.Equal(t, int64(2), s.put(t, "foo", "bar"))

	tests := []struct {
		name     string
		req      *pb.PutRequest
		wantRev  int64
		wantPrev *pb.PutResponse
	}{
		{"overwrite returns the previous pair", &pb.PutRequest{Key: []byte("foo"), Value: []byte("baz"), PrevKv: true},
			3, &pb.PutResponse{PrevKv: kv("foo", "bar", 2, 2, 1)}},
		{"ignore_value keeps the value, bumps version", &pb.PutRequest{Key: []byte("foo"), IgnoreValue: true, PrevKv: true},
			4, &pb.PutResponse{PrevKv: kv("foo", "baz", 2, 3, 2)}},
		{"new key has no previous pair", &pb.PutRequest{Key: []byte("new"), Value: []byte("v"), PrevKv: true},
			5, &pb.PutResponse{}},
		{"ignore_lease keeps lease 0", &pb.PutRequest{Key: []byte("foo"), Value: []byte("qux"), IgnoreLease: true, PrevKv: true},
			6, &pb.PutResponse{PrevKv: kv("foo", "baz", 2, 4, 3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.kv.Put(ctx(t), tt.req)
			require.NoError(t, err)
			require.Equal(t, tt.wantRev, resp.Header.Revision, "a put creates the next revision")
			requireProtoEqual(t, tt.wantPrev.PrevKv, resp.PrevKv, "prev_kv")
		})
	}
}

func TestPutAndDeleteErrors(t *testing.T) {
	s := newTestServer(t)
	rev := s.put(t, "exists", "v")
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"put empty key", func() error { _, err := s.kv.Put(ctx(t), &pb.PutRequest{Value: []byte("v")}); return err }, rpctypes.ErrGRPCEmptyKey},
		{"delete empty key", func() error { _, err := s.kv.DeleteRange(ctx(t), &pb.DeleteRangeRequest{}); return err }, rpctypes.ErrGRPCEmptyKey},
		{"ignore_value with a value", func() error {
			_, err := s.kv.Put(ctx(t), &pb.PutRequest{Key: []byte("exists"), Value: []byte("v"), IgnoreValue: true})
			return err
		}, rpctypes.ErrGRPCValueProvided},
		{"ignore_lease with a lease", func() error {
			_, err := s.kv.Put(ctx(t), &pb.PutRequest{Key: []byte("exists"), Lease: 7, IgnoreLease: true})
			return err
		}, rpctypes.ErrGRPCLeaseProvided},
		{"ignore_value on a missing key", func() error {
			_, err := s.kv.Put(ctx(t), &pb.PutRequest{Key: []byte("missing"), IgnoreValue: true})
			return err
		}, rpctypes.ErrGRPCKeyNotFound},
		{"unknown lease", func() error {
			_, err := s.kv.Put(ctx(t), &pb.PutRequest{Key: []byte("k"), Lease: 12345})
			return err
		}, rpctypes.ErrGRPCLeaseNotFound},
		{"compact is not served", func() error { _, err := s.kv.Compact(ctx(t), &pb.CompactionRequest{Revision: 1}); return err },
			unsupported("Compact (the in-memory store keeps no history to compact)")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireStatus(t, tt.want, tt.call())
		})
	}
	// None of the refused requests may have written anything.
	resp, err := s.kv.Put(ctx(t), &pb.PutRequest{Key: []byte("exists"), Value: []byte("w"), PrevKv: true})
	require.NoError(t, err)
	require.Equal(t, rev+1, resp.Header.Revision, "refused requests must not create revisions")
	requireProtoEqual(t, kv("exists", "v", rev, rev, 1), resp.PrevKv)
}

func TestDeleteRange(t *testing.T) {
	tests := []struct {
		name        string
		req         *pb.DeleteRangeRequest
		wantDeleted []string
	}{
		{"single key", &pb.DeleteRangeRequest{Key: []byte("b")}, []string{"b"}},
		{"missing key", &pb.DeleteRangeRequest{Key: []byte("zz")}, nil},
		{"range [b, c)", &pb.DeleteRangeRequest{Key: []byte("b"), RangeEnd: []byte("c")}, []string{"b", "b1"}},
		{"prefix a", &pb.DeleteRangeRequest{Key: []byte("a"), RangeEnd: []byte("b")}, []string{"a"}},
		{"from key b", &pb.DeleteRangeRequest{Key: []byte("b"), RangeEnd: []byte{0}}, []string{"b", "b1", "c"}},
		{"all keys", &pb.DeleteRangeRequest{Key: []byte{0}, RangeEnd: []byte{0}}, []string{"a", "b", "b1", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t)
			for _, k := range []string{"a", "b", "b1", "c"} {
				s.put(t, k, "v-"+k)
			}
			resp, err := s.kv.DeleteRange(ctx(t), &pb.DeleteRangeRequest{Key: tt.req.Key, RangeEnd: tt.req.RangeEnd, PrevKv: true})
			require.NoError(t, err)
			require.Equal(t, int64(len(tt.wantDeleted)), resp.Deleted)
			var got []string
			for _, kv := range resp.PrevKvs {
				require.Equal(t, "v-"+string(kv.Key), string(kv.Value), "prev_kvs carry the deleted values")
				got = append(got, string(kv.Key))
			}
			require.Equal(t, tt.wantDeleted, got, "deleted keys, in key order")
			wantRev := int64(5) // four puts on a fresh store
			if len(tt.wantDeleted) > 0 {
				wantRev = 6 // one delete, one revision, however many keys
			}
			require.Equal(t, wantRev, resp.Header.Revision, "deleting %s", strings.Join(tt.wantDeleted, ","))
		})
	}
}
