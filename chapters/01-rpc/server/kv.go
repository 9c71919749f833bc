package server

import (
	"context"
	"fmt"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
	"etcdwalk/chapters/01-rpc/etcdserver/api/v3rpc"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// kvServer implements the generated pb.KVServer. Like etcd's v3rpc kvServer, each handler validates
// the request, does the work, and fills the response header; here "the work" is a few lines on a
// map instead of a call into EtcdServer.
type kvServer struct {
	pb.UnimplementedKVServer
	hdr header
	st  *memStore
}

// newKVServer returns the KV service over st, answering with the header hdr describes.
func newKVServer(hdr header, st *memStore) *kvServer {
	return &kvServer{hdr: hdr, st: st}
}

func (s *kvServer) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	if err := v3rpc.CheckPutRequest(r); err != nil {
		return nil, err
	}
	trace := traceutil.Get(ctx)
	trace.Step("check put request")
	if r.Lease != 0 {
		// There are no leases before the Lease service exists, so every lease ID is unknown;
		// etcd answers exactly this for a lease it does not have.
		return nil, rpctypes.ErrGRPCLeaseNotFound
	}

	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	tw := &writeTxn{st: s.st}
	resp, err := applyPut(tw, r)
	tw.end()
	if err != nil {
		return nil, err
	}
	trace.Step("write to the in-memory store")
	s.hdr.fill(resp.Header, s.st.rev)
	return resp, nil
}

// applyPut carries out a put inside tw, for a plain Put and for a put inside a Txn alike.
func applyPut(tw *writeTxn, r *pb.PutRequest) (*pb.PutResponse, error) {
	resp := &pb.PutResponse{Header: &pb.ResponseHeader{}}
	value, lease := r.Value, r.Lease
	if r.IgnoreValue || r.IgnoreLease || r.PrevKv {
		prev := tw.st.rangeKeys(r.Key, nil)
		if (r.IgnoreValue || r.IgnoreLease) && len(prev) == 0 {
			return nil, rpctypes.ErrGRPCKeyNotFound
		}
		if len(prev) == 1 {
			if r.IgnoreValue {
				value = prev[0].Value
			}
			if r.IgnoreLease {
				lease = prev[0].Lease
			}
			if r.PrevKv {
				resp.PrevKv = prev[0]
			}
		}
	}
	resp.Header.Revision = tw.put(r.Key, value, lease)
	return resp, nil
}

func (s *kvServer) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	if err := v3rpc.CheckDeleteRequest(r); err != nil {
		return nil, err
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	tw := &writeTxn{st: s.st}
	resp := applyDeleteRange(tw, r)
	tw.end()
	traceutil.Get(ctx).Step("delete from the in-memory store")
	s.hdr.fill(resp.Header, s.st.rev)
	return resp, nil
}

func applyDeleteRange(tw *writeTxn, r *pb.DeleteRangeRequest) *pb.DeleteRangeResponse {
	deleted := tw.deleteRange(r.Key, r.RangeEnd)
	resp := &pb.DeleteRangeResponse{
		Header:  &pb.ResponseHeader{Revision: tw.rev()},
		Deleted: int64(len(deleted)),
	}
	if r.PrevKv {
		resp.PrevKvs = deleted
	}
	return resp
}

// Compact needs history to compact; this store keeps none.
func (s *kvServer) Compact(context.Context, *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	return nil, unsupported("Compact (the in-memory store keeps no history to compact)")
}

// unsupported is the answer to a request this chapter cannot serve faithfully. It is not an etcd
// error (etcd supports everything): Unimplemented tells the client plainly that the server, not the
// request, is lacking, instead of returning a wrong answer.
func unsupported(what string) error {
	return status.Error(codes.Unimplemented, fmt.Sprintf("etcdwalk 01-rpc: %s is not supported before chapter 02-kvserver", what))
}
