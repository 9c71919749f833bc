package main

import (
	"fmt"
	"io"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"google.golang.org/protobuf/proto"
)

// pbPrinter is --write-out=protobuf (etcd's printer_protobuf.go): the response in the protobuf
// wire format, as the server sent it; the endpoint commands are refused.
type pbPrinter struct {
	unsupported
	out    io.Writer
	errOut io.Writer
}

func (p *pbPrinter) Del(r *clientv3.DeleteResponse) { p.print((*pb.DeleteRangeResponse)(r)) }
func (p *pbPrinter) Get(r *clientv3.GetResponse)    { p.print((*pb.RangeResponse)(r)) }
func (p *pbPrinter) Put(r *clientv3.PutResponse)    { p.print((*pb.PutResponse)(r)) }
func (p *pbPrinter) Txn(r *clientv3.TxnResponse)    { p.print((*pb.TxnResponse)(r)) }
func (p *pbPrinter) MemberList(r *clientv3.MemberListResponse) {
	p.print((*pb.MemberListResponse)(r))
}

func (p *pbPrinter) print(m proto.Message) {
	b, err := proto.Marshal(m)
	if err != nil {
		fmt.Fprintf(p.errOut, "%v\n", err)
		return
	}
	fmt.Fprint(p.out, string(b))
}
