package main

import (
	"bytes"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/mvccpb"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/assert"
)

// The responses of real etcd v3.6.16 whose etcdctl output the tests below expect, printed by
// etcdctl itself.
func sampleTxn() *clientv3.TxnResponse {
	kv := func(k, v string, create, mod, ver int64) *mvccpb.KeyValue {
		return &mvccpb.KeyValue{Key: []byte(k), Value: []byte(v), CreateRevision: create, ModRevision: mod, Version: ver}
	}
	return &clientv3.TxnResponse{
		Header:    &pb.ResponseHeader{ClusterId: 15118495548433857066, MemberId: 13668033151171901709, Revision: 25, RaftTerm: 2},
		Succeeded: true,
		Responses: []*pb.ResponseOp{
			{Response: &pb.ResponseOp_ResponsePut{ResponsePut: &pb.PutResponse{
				Header: &pb.ResponseHeader{Revision: 25}, PrevKv: kv("foo", "bar", 24, 24, 1)}}},
			{Response: &pb.ResponseOp_ResponseRange{ResponseRange: &pb.RangeResponse{
				Header: &pb.ResponseHeader{Revision: 25}, Kvs: []*mvccpb.KeyValue{kv("foo", "baz", 24, 25, 2)}, Count: 1}}},
			{Response: &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: &pb.DeleteRangeResponse{
				Header: &pb.ResponseHeader{Revision: 25}}}},
		},
	}
}

func sampleMembers() *clientv3.MemberListResponse {
	return &clientv3.MemberListResponse{
		Header: &pb.ResponseHeader{ClusterId: 15118495548433857066, MemberId: 13668033151171901709, RaftTerm: 2},
		Members: []*pb.Member{{ID: 13668033151171901709, Name: "default",
			PeerURLs: []string{"http://127.0.0.1:23801"}, ClientURLs: []string{"http://127.0.0.1:23791"}}},
	}
}

func sampleStatus() []epStatus {
	return []epStatus{{Ep: "127.0.0.1:23791", Resp: &clientv3.StatusResponse{
		Header:  &pb.ResponseHeader{ClusterId: 15118495548433857066, MemberId: 13668033151171901709, Revision: 25, RaftTerm: 2},
		Version: "3.6.16", DbSize: 24576, Leader: 13668033151171901709, RaftIndex: 41, RaftTerm: 2, RaftAppliedIndex: 41,
		DbSizeInUse: 20480, StorageVersion: "3.6.0", DbSizeQuota: 2147483648, DowngradeInfo: &pb.DowngradeInfo{},
	}}}
}

func TestPrinters(t *testing.T) {
	tests := []struct {
		name   string
		format string
		isHex  bool
		print  func(printer)
		want   string
	}{
		{name: "txn", format: "simple", print: func(p printer) { p.Txn(sampleTxn()) },
			want: "SUCCESS\n\nOK\nfoo\nbar\n\nfoo\nbaz\n\n0\n"},
		{name: "txn", format: "json", print: func(p printer) { p.Txn(sampleTxn()) },
			want: `{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":25,"raft_term":2},"succeeded":true,"responses":[` +
				`{"Response":{"response_put":{"header":{"revision":25},"prev_kv":{"key":"Zm9v","create_revision":24,"mod_revision":24,"version":1,"value":"YmFy"}}}},` +
				`{"Response":{"response_range":{"header":{"revision":25},"kvs":[{"key":"Zm9v","create_revision":24,"mod_revision":25,"version":2,"value":"YmF6"}],"count":1}}},` +
				`{"Response":{"response_delete_range":{"header":{"revision":25}}}}]}` + "\n"},
		{name: "txn", format: "fields", print: func(p printer) { p.Txn(sampleTxn()) },
			want: `"ClusterID" : 15118495548433857066
"MemberID" : 13668033151171901709
"Revision" : 25
"RaftTerm" : 2
"Succeeded" : true
"ClusterID" : 0
"MemberID" : 0
"Revision" : 25
"RaftTerm" : 0
"PrevKey" : "foo"
"PrevCreateRevision" : 24
"PrevModRevision" : 24
"PrevVersion" : 1
"PrevValue" : "bar"
"PrevLease" : 0
"ClusterID" : 0
"MemberID" : 0
"Revision" : 25
"RaftTerm" : 0
"Key" : "foo"
"CreateRevision" : 24
"ModRevision" : 25
"Version" : 2
"Value" : "baz"
"Lease" : 0
"More" : false
"Count" : 1
"ClusterID" : 0
"MemberID" : 0
"Revision" : 25
"RaftTerm" : 0
"Deleted" : 0
`},
		{name: "an empty get", format: "json", print: func(p printer) {
			p.Get(&clientv3.GetResponse{Header: &pb.ResponseHeader{ClusterId: 1, MemberId: 2, Revision: 25, RaftTerm: 2}})
		}, want: `{"header":{"cluster_id":1,"member_id":2,"revision":25,"raft_term":2}}` + "\n"},
		{name: "a get, keys as hex", format: "simple", isHex: true, print: func(p printer) {
			p.Get(&clientv3.GetResponse{Kvs: []*mvccpb.KeyValue{{Key: []byte("k\x00"), Value: []byte{0xff}}}})
		}, want: `\x6b\x00` + "\n" + `\xff` + "\n"},
		{name: "strings as encoding/json writes them", format: "json", print: func(p printer) {
			p.MemberList(&clientv3.MemberListResponse{Members: []*pb.Member{{Name: "<a&b>\xff"}}})
		}, want: `{"members":[{"name":"\u003ca\u0026b\u003e\ufffd"}]}` + "\n"},
		{name: "member list", format: "simple", print: func(p printer) { p.MemberList(sampleMembers()) },
			want: "bdae9bbc11dd390d, started, default, http://127.0.0.1:23801, http://127.0.0.1:23791, false\n"},
		{name: "member list", format: "json", print: func(p printer) { p.MemberList(sampleMembers()) },
			want: `{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"raft_term":2},"members":[{"ID":13668033151171901709,"name":"default","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]}]}` + "\n"},
		{name: "member list, IDs in hex", format: "json", isHex: true, print: func(p printer) { p.MemberList(sampleMembers()) },
			want: `{"header":{"cluster_id":"d1cfaf999eb97a2a","member_id":"bdae9bbc11dd390d","raft_term":2},"members":[{"ID":"bdae9bbc11dd390d","name":"default","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]}]}` + "\n"},
		{name: "member list", format: "table", print: func(p printer) { p.MemberList(sampleMembers()) },
			want: `+------------------+---------+---------+------------------------+------------------------+------------+
|        ID        | STATUS  |  NAME   |       PEER ADDRS       |      CLIENT ADDRS      | IS LEARNER |
+------------------+---------+---------+------------------------+------------------------+------------+
| bdae9bbc11dd390d | started | default | http://127.0.0.1:23801 | http://127.0.0.1:23791 |      false |
+------------------+---------+---------+------------------------+------------------------+------------+
`},
		{name: "endpoint status", format: "simple", print: func(p printer) { p.EndpointStatus(sampleStatus()) },
			want: "127.0.0.1:23791, bdae9bbc11dd390d, 3.6.16, 3.6.0, 25 kB, 20 kB, 17%, 2.1 GB, true, false, 2, 41, 41, , , false\n"},
		{name: "endpoint status", format: "json", print: func(p printer) { p.EndpointStatus(sampleStatus()) },
			want: `[{"Endpoint":"127.0.0.1:23791","Status":{"header":{"cluster_id":15118495548433857066,"member_id":13668033151171901709,"revision":25,"raft_term":2},"version":"3.6.16","dbSize":24576,"leader":13668033151171901709,"raftIndex":41,"raftTerm":2,"raftAppliedIndex":41,"dbSizeInUse":20480,"storageVersion":"3.6.0","dbSizeQuota":2147483648,"downgradeInfo":{}}}]` + "\n"},
		{name: "endpoint status of none", format: "json", print: func(p printer) { p.EndpointStatus(nil) }, want: "null\n"},
		{name: "endpoint health", format: "json", print: func(p printer) {
			p.EndpointHealth([]epHealth{{Ep: "a", Health: true, Took: "1ms"}, {Ep: "b", Error: "context deadline exceeded"}})
		}, want: `[{"endpoint":"a","health":true,"took":"1ms"},{"endpoint":"b","health":false,"took":"","error":"context deadline exceeded"}]` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format+" "+tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			p := newPrinter(tt.format, tt.isHex, &out, &errOut)
			tt.print(p)
			assert.Equal(t, tt.want, out.String(), "etcdctl -w %s prints this for the same response", tt.format)
			assert.Empty(t, errOut.String(), "nothing on stderr")
		})
	}
}

func TestSimpleHealthSplitsStreams(t *testing.T) {
	var out, errOut bytes.Buffer
	newPrinter("simple", false, &out, &errOut).EndpointHealth([]epHealth{
		{Ep: "a", Health: true, Took: "1ms"}, {Ep: "b", Error: "context deadline exceeded"}})
	assert.Equal(t, "a is healthy: successfully committed proposal: took = 1ms\n", out.String(), "healthy endpoints on stdout")
	assert.Equal(t, "b is unhealthy: failed to commit proposal: context deadline exceeded\n", errOut.String(), "unhealthy ones on stderr")
}

func TestNotInUse(t *testing.T) {
	assert.Equal(t, "17%", notInUse(24576, 20480), "etcdctl's integer percent")
	assert.Equal(t, "0%", notInUse(0, 0), "a size of 0 is no division")
}

func TestUnknownPrinter(t *testing.T) {
	assert.Nil(t, newPrinter("yaml", false, nil, nil), "etcdctl knows no yaml format")
}
