package main

import (
	"fmt"
	"io"
	"strconv"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
	clientv3 "etcdwalk/chapters/05-client/client/v3"
)

// fieldsPrinter is --write-out=fields (etcd's printer_fields.go): one "Name" : value line per
// field, keys and values quoted as Go strings.
type fieldsPrinter struct {
	isHex bool
	out   io.Writer
}

func (p *fieldsPrinter) kv(pfx string, kv *mvccpb.KeyValue) {
	fmt.Fprintf(p.out, "\"%sKey\" : %q\n", pfx, string(kv.Key))
	fmt.Fprintf(p.out, "\"%sCreateRevision\" : %d\n", pfx, kv.CreateRevision)
	fmt.Fprintf(p.out, "\"%sModRevision\" : %d\n", pfx, kv.ModRevision)
	fmt.Fprintf(p.out, "\"%sVersion\" : %d\n", pfx, kv.Version)
	fmt.Fprintf(p.out, "\"%sValue\" : %q\n", pfx, string(kv.Value))
	if p.isHex {
		fmt.Fprintf(p.out, "\"%sLease\" : %016x\n", pfx, kv.Lease)
	} else {
		fmt.Fprintf(p.out, "\"%sLease\" : %d\n", pfx, kv.Lease)
	}
}

// hdr prints a response header; the revision only where there is one (MemberList's is 0).
func (p *fieldsPrinter) hdr(h *pb.ResponseHeader) {
	if p.isHex {
		fmt.Fprintln(p.out, `"ClusterID" :`, hexID(h.GetClusterId()))
		fmt.Fprintln(p.out, `"MemberID" :`, hexID(h.GetMemberId()))
	} else {
		fmt.Fprintln(p.out, `"ClusterID" :`, h.GetClusterId())
		fmt.Fprintln(p.out, `"MemberID" :`, h.GetMemberId())
	}
	if h.GetRevision() > 0 {
		fmt.Fprintln(p.out, `"Revision" :`, h.GetRevision())
	}
	fmt.Fprintln(p.out, `"RaftTerm" :`, h.GetRaftTerm())
}

// hexID is a member or cluster ID as etcd's types.ID prints it.
func hexID(id uint64) string { return strconv.FormatUint(id, 16) }

func (p *fieldsPrinter) Del(r *clientv3.DeleteResponse) {
	p.hdr(r.Header)
	fmt.Fprintln(p.out, `"Deleted" :`, r.Deleted)
	for _, kv := range r.PrevKvs {
		p.kv("Prev", kv)
	}
}

func (p *fieldsPrinter) Get(r *clientv3.GetResponse) {
	p.hdr(r.Header)
	for _, kv := range r.Kvs {
		p.kv("", kv)
	}
	fmt.Fprintln(p.out, `"More" :`, r.More)
	fmt.Fprintln(p.out, `"Count" :`, r.Count)
}

func (p *fieldsPrinter) Put(r *clientv3.PutResponse) {
	p.hdr(r.Header)
	if r.PrevKv != nil {
		p.kv("Prev", r.PrevKv)
	}
}

func (p *fieldsPrinter) Txn(r *clientv3.TxnResponse) {
	p.hdr(r.Header)
	fmt.Fprintln(p.out, `"Succeeded" :`, r.Succeeded)
	for _, resp := range r.Responses {
		switch v := resp.Response.(type) {
		case *pb.ResponseOp_ResponseDeleteRange:
			p.Del((*clientv3.DeleteResponse)(v.ResponseDeleteRange))
		case *pb.ResponseOp_ResponsePut:
			p.Put((*clientv3.PutResponse)(v.ResponsePut))
		case *pb.ResponseOp_ResponseRange:
			p.Get((*clientv3.GetResponse)(v.ResponseRange))
		default:
			fmt.Fprintf(p.out, "\"Unknown\" : %q\n", fmt.Sprintf("%v", v))
		}
	}
}

func (p *fieldsPrinter) MemberList(r *clientv3.MemberListResponse) {
	p.hdr(r.Header)
	for _, m := range r.Members {
		if p.isHex {
			fmt.Fprintln(p.out, `"ID" :`, hexID(m.ID))
		} else {
			fmt.Fprintln(p.out, `"ID" :`, m.ID)
		}
		fmt.Fprintf(p.out, "\"Name\" : %q\n", m.Name)
		for _, u := range m.PeerURLs {
			fmt.Fprintf(p.out, "\"PeerURL\" : %q\n", u)
		}
		for _, u := range m.ClientURLs {
			fmt.Fprintf(p.out, "\"ClientURL\" : %q\n", u)
		}
		fmt.Fprintln(p.out, `"IsLearner" :`, m.IsLearner)
		fmt.Fprintln(p.out)
	}
}

func (p *fieldsPrinter) EndpointHealth(hs []epHealth) {
	for _, h := range hs {
		fmt.Fprintf(p.out, "\"Endpoint\" : %q\n", h.Ep)
		fmt.Fprintln(p.out, `"Health" :`, h.Health)
		fmt.Fprintln(p.out, `"Took" :`, h.Took)
		fmt.Fprintln(p.out, `"Error" :`, h.Error)
		fmt.Fprintln(p.out)
	}
}

func (p *fieldsPrinter) EndpointStatus(eps []epStatus) {
	for _, ep := range eps {
		r := (*pb.StatusResponse)(ep.Resp)
		p.hdr(r.Header)
		fmt.Fprintf(p.out, "\"Version\" : %q\n", r.Version)
		fmt.Fprintf(p.out, "\"StorageVersion\" : %q\n", r.StorageVersion)
		fmt.Fprintln(p.out, `"DBSize" :`, r.DbSize)
		fmt.Fprintln(p.out, `"DBSizeInUse" :`, r.DbSizeInUse)
		fmt.Fprintln(p.out, `"DBSizeQuota" :`, r.DbSizeQuota)
		fmt.Fprintln(p.out, `"Leader" :`, r.Leader)
		fmt.Fprintln(p.out, `"IsLearner" :`, r.IsLearner)
		fmt.Fprintln(p.out, `"RaftIndex" :`, r.RaftIndex)
		fmt.Fprintln(p.out, `"RaftAppliedIndex" :`, r.RaftAppliedIndex)
		fmt.Fprintln(p.out, `"Errors" :`, r.Errors)
		fmt.Fprintf(p.out, "\"Endpoint\" : %q\n", ep.Ep)
		fmt.Fprintf(p.out, "\"DowngradeTargetVersion\" : %q\n", r.GetDowngradeInfo().GetTargetVersion())
		fmt.Fprintln(p.out, `"DowngradeEnabled" :`, r.GetDowngradeInfo().GetEnabled())
		fmt.Fprintln(p.out)
	}
}
