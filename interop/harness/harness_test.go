package harness_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
)

func TestMain(m *testing.M) { harness.Main(m) }

// The reference binaries must be the etcd release the comparisons claim to compare against.
func TestEtcdVersion(t *testing.T) {
	stdout, stderr, code := harness.Etcdctl(t, "http://127.0.0.1:1", "", "version")
	require.Zero(t, code, "etcdctl version should succeed without a server; stderr:\n%s", stderr)
	assert.Contains(t, stdout, "etcdctl version: "+harness.EtcdVersion,
		"go.mod should pin etcdctl %s", harness.EtcdVersion)
	assert.Contains(t, stdout, "API version: 3.6")
}

func TestNormalizeHeadersReachesNestedHeaders(t *testing.T) {
	hdr := func(rev int64) *pb.ResponseHeader {
		return &pb.ResponseHeader{ClusterId: 1, MemberId: 2, RaftTerm: 3, Revision: rev}
	}
	resp := &pb.TxnResponse{Header: hdr(7), Succeeded: true, Responses: []*pb.ResponseOp{
		{Response: &pb.ResponseOp_ResponseRange{ResponseRange: &pb.RangeResponse{
			Header: hdr(7), Kvs: []*mvccpb.KeyValue{{Key: []byte("k"), Value: []byte("v")}},
		}}},
		{Response: &pb.ResponseOp_ResponseTxn{ResponseTxn: &pb.TxnResponse{Header: hdr(7)}}},
	}}
	harness.NormalizeHeaders(resp)
	want := &pb.TxnResponse{Header: &pb.ResponseHeader{Revision: 7}, Succeeded: true, Responses: []*pb.ResponseOp{
		{Response: &pb.ResponseOp_ResponseRange{ResponseRange: &pb.RangeResponse{
			Header: &pb.ResponseHeader{Revision: 7}, Kvs: []*mvccpb.KeyValue{{Key: []byte("k"), Value: []byte("v")}},
		}}},
		{Response: &pb.ResponseOp_ResponseTxn{ResponseTxn: &pb.TxnResponse{Header: &pb.ResponseHeader{Revision: 7}}}},
	}}
	assert.Empty(t, harness.Diff(want, resp), "every header should keep only its revision")
	assert.NotEmpty(t, harness.Diff(want, &pb.TxnResponse{}), "Diff should see a difference")
}

func TestNormalizeJSON(t *testing.T) {
	in := `{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,"revision":5,"raft_term":2},"count":1}`
	got, err := harness.NormalizeJSON(in)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &v))
	assert.Equal(t, map[string]any{"header": map[string]any{"revision": 5.0}, "count": 1.0}, v)
	_, err = harness.NormalizeJSON("Error: not json")
	assert.Error(t, err, "NormalizeJSON should refuse output that is not JSON")
	assert.True(t, strings.HasSuffix(got, "\n"))
}

func TestNormalizeFields(t *testing.T) {
	in := "\"ClusterID\" : 16213850926697599\n\"MemberID\" : 6099783635053073220\n\"Revision\" : 7\n\"RaftTerm\" : 2\n\"Key\" : \"foo3\"\n"
	assert.Equal(t, "\"Revision\" : 7\n\"Key\" : \"foo3\"\n", harness.NormalizeFields(in))
}

// Kill, Stop and Restart: the server comes back on the same endpoint each time, and a test that
// ends with it down on purpose is not reported as one whose server died by itself.
func TestProcessKillStopRestart(t *testing.T) {
	bin := harness.Build(t, "etcdwalk/chapters/01-rpc/cmd/server", false)
	p := harness.StartServer(t, bin)
	endpoint := p.Endpoint
	put := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cli := harness.NewClient(t, p.Endpoint)
		_, err := cli.Put(ctx, "k", "v")
		require.NoError(t, err, "a put after the restart should succeed")
		require.NoError(t, cli.Close())
	}
	p.Kill(t)
	p.Restart(t)
	assert.Equal(t, endpoint, p.Endpoint, "a restarted server keeps its endpoint")
	put()
	p.Stop(t)
	p.Restart(t)
	put()
	p.Kill(t)
}

// A real etcd of three processes: a member stopped with SIGTERM comes back from its data
// directory, on the same endpoint, and the cluster is whole again.
func TestEtcdClusterStopRestartMember(t *testing.T) {
	c := harness.StartEtcdCluster(t, 3)
	require.Len(t, c.Members, 3)
	require.Len(t, c.Endpoints, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	member := c.Members[1]
	assert.Equal(t, "etcd2", member.Name)
	member.Stop(t)
	_, err := harness.NewClient(t, c.Endpoints[0]).Put(ctx, "k", "v")
	require.NoError(t, err, "two of three members should take a write")
	member.Restart(t)
	c.WaitReady(t)
	resp, err := harness.NewClient(t, member.Endpoint).Get(ctx, "k")
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1, "the restarted member should serve the write it missed")
	assert.Equal(t, "v", string(resp.Kvs[0].Value))
}
