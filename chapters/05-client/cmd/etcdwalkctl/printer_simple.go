package main

import (
	"fmt"
	"io"
	"strings"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	clientv3 "etcdwalk/chapters/05-client/client/v3"
)

// simplePrinter is --write-out=simple, the default (etcd's printer_simple.go): keys and values
// on lines of their own, OK for a put, the count for a del, SUCCESS or FAILURE then each
// response for a txn, comma-separated rows for member list and endpoint status.
type simplePrinter struct {
	isHex     bool
	valueOnly bool // get --print-value-only
	out       io.Writer
	errOut    io.Writer
}

func (s *simplePrinter) Del(resp *clientv3.DeleteResponse) {
	fmt.Fprintln(s.out, resp.Deleted)
	for _, kv := range resp.PrevKvs {
		printKV(s.out, s.isHex, s.valueOnly, kv)
	}
}

func (s *simplePrinter) Get(resp *clientv3.GetResponse) {
	for _, kv := range resp.Kvs {
		printKV(s.out, s.isHex, s.valueOnly, kv)
	}
}

func (s *simplePrinter) Put(resp *clientv3.PutResponse) {
	fmt.Fprintln(s.out, "OK")
	if resp.PrevKv != nil {
		printKV(s.out, s.isHex, s.valueOnly, resp.PrevKv)
	}
}

func (s *simplePrinter) Txn(resp *clientv3.TxnResponse) {
	if resp.Succeeded {
		fmt.Fprintln(s.out, "SUCCESS")
	} else {
		fmt.Fprintln(s.out, "FAILURE")
	}
	for _, r := range resp.Responses {
		fmt.Fprintln(s.out, "")
		switch v := r.Response.(type) {
		case *pb.ResponseOp_ResponseDeleteRange:
			s.Del((*clientv3.DeleteResponse)(v.ResponseDeleteRange))
		case *pb.ResponseOp_ResponsePut:
			s.Put((*clientv3.PutResponse)(v.ResponsePut))
		case *pb.ResponseOp_ResponseRange:
			s.Get((*clientv3.GetResponse)(v.ResponseRange))
		default:
			// A nested txn: etcdctl's txn cannot send one.
			fmt.Fprintf(s.out, "unexpected response %v\n", r)
		}
	}
}

func (s *simplePrinter) MemberList(resp *clientv3.MemberListResponse) {
	_, rows := memberListTable(resp)
	for _, row := range rows {
		fmt.Fprintln(s.out, strings.Join(row, ", "))
	}
}

// EndpointHealth prints the healthy endpoints on stdout and the others on stderr.
func (s *simplePrinter) EndpointHealth(hs []epHealth) {
	for _, h := range hs {
		if h.Error == "" {
			fmt.Fprintf(s.out, "%s is healthy: successfully committed proposal: took = %v\n", h.Ep, h.Took)
		} else {
			fmt.Fprintf(s.errOut, "%s is unhealthy: failed to commit proposal: %v\n", h.Ep, h.Error)
		}
	}
}

func (s *simplePrinter) EndpointStatus(statusList []epStatus) {
	_, rows := endpointStatusTable(statusList)
	for _, row := range rows {
		fmt.Fprintln(s.out, strings.Join(row, ", "))
	}
}
