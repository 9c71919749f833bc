package main

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"etcdwalk/chapters/03-propose-wait/cluster"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/transport"
	readindex "etcdwalk/chapters/04-linearizable-read/etcdserver"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSession is a session at the terminal against chapter 04's three members, started in this
// process: each step is a command line (and its stdin) and what etcdwalkctl prints. The
// revisions are those of a fresh cluster, as for a fresh etcd. interop/ch05_etcdctl_test.go
// runs the same kind of session through etcdctl and etcdwalkctl side by side and requires
// byte-equal output; this one pins down what the output is.
func TestSession(t *testing.T) {
	urls := startChapter04(t)
	ep := "--endpoints=" + strings.Join(urls, ",")
	steps := []struct {
		args     []string
		stdin    string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{args: []string{"put", "foo", "bar"}, wantOut: "OK\n"},
		{args: []string{"put", "foo", "baz", "--prev-kv"}, wantOut: "OK\nfoo\nbar\n"},
		{args: []string{"put", "fox"}, stdin: "from stdin\n", wantOut: "OK\n"},
		{args: []string{"get", "fo", "--prefix"}, wantOut: "foo\nbaz\nfox\nfrom stdin\n\n"},
		{args: []string{"get", "fo", "--prefix", "--keys-only", "--sort-by=MODIFY", "--order=DESCEND"}, wantOut: "fox\n\nfoo\n\n"},
		{args: []string{"get", "", "--from-key", "--print-value-only", "--limit=1"}, wantOut: "baz\n"},
		{args: []string{"get", "foo", "--rev=2"}, wantOut: "foo\nbar\n"},
		{args: []string{"get", "foo", "--consistency=s", "--hex"}, wantOut: `\x66\x6f\x6f` + "\n" + `\x62\x61\x7a` + "\n"},
		{args: []string{"get", "f", "--prefix", "--count-only"}, wantCode: ExitBadArgs,
			wantErr: "Error: --count-only is only for `--write-out=fields`\n"},
		{args: []string{"txn"}, stdin: "val(\"foo\") = \"baz\"\n\nput foo qux\nget foo\n\nput nope 1\n\n",
			wantOut: "SUCCESS\n\nOK\n\nfoo\nqux\n"},
		{args: []string{"txn", "-w", "fields"}, stdin: "ver(\"foo\") > \"10\"\n\n\ndel foo --prev-kv\n\n",
			wantOut: "\"ClusterID\" : "}, // a prefix: the IDs are the cluster's own
		{args: []string{"get", "foo"}, wantOut: ""},
		{args: []string{"compaction", "3"}, wantOut: "compacted revision 3\n"},
		{args: []string{"get", "foo", "--rev=2"}, wantCode: ExitError,
			wantErr: "Error: etcdserver: mvcc: required revision has been compacted\n"},
		{args: []string{"compaction", "100"}, wantCode: ExitError,
			wantErr: "Error: etcdserver: mvcc: required revision is a future revision\n"},
		{args: []string{"put", "", "v"}, wantCode: ExitError, wantErr: "Error: etcdserver: key is not provided\n"},
		{args: []string{"del", "f", "--prefix", "--prev-kv"}, wantOut: "1\nfox\nfrom stdin\n\n"},
		{args: []string{"member", "list", "-w", "json", "--hex"}, wantOut: `{"header":{"cluster_id":"`},
	}
	for _, s := range steps {
		args := append([]string{ep}, s.args...)
		out, errOut, code := runCtl(t, s.stdin, args...)
		cmdline := "etcdwalkctl " + strings.Join(s.args, " ")
		require.Equal(t, s.wantCode, code, "%s: exit status (stderr %q)", cmdline, errOut)
		if strings.HasSuffix(s.wantOut, ": ") || strings.HasSuffix(s.wantOut, `":"`) {
			assert.True(t, strings.HasPrefix(out, s.wantOut), "%s should print %q and more:\n%s", cmdline, s.wantOut, out)
		} else {
			assert.Equal(t, s.wantOut, out, "%s: stdout", cmdline)
		}
		assert.Equal(t, s.wantErr, dropLogLines(errOut), "%s: stderr", cmdline)
	}

	t.Run("member list", func(t *testing.T) {
		out, _, code := runCtl(t, "", ep, "member", "list")
		require.Equal(t, 0, code)
		rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		require.Len(t, rows, 3, "one row per member:\n%s", out)
		for _, row := range rows {
			cells := strings.Split(row, ", ")
			require.Len(t, cells, 6, "ID, status, name, peer URLs, client URLs, learner: %q", row)
			assert.Equal(t, "started", cells[1], "member %s", cells[0])
			assert.Contains(t, urls, cells[4], "the member's client URL is one of the cluster's")
			assert.Equal(t, "false", cells[5], "no member is a learner")
		}
	})
	t.Run("endpoint health", func(t *testing.T) {
		out, errOut, code := runCtl(t, "", ep, "endpoint", "health")
		require.Equal(t, 0, code, "every member is healthy (stderr %q)", errOut)
		for _, u := range urls {
			assert.Contains(t, out, u+" is healthy: successfully committed proposal: took = ")
		}
	})
	t.Run("endpoint status", func(t *testing.T) {
		out, _, code := runCtl(t, "", ep, "endpoint", "status", "-w", "table")
		require.Equal(t, 0, code)
		assert.Equal(t, 3, strings.Count(out, "| http://127.0.0.1:"), "one row per endpoint:\n%s", out)
		assert.Equal(t, 1, strings.Count(out, "|      true |"), "one leader:\n%s", out)
	})
}

// startChapter04 starts chapter 04's cluster of three members on free ports, stopped when the
// test ends, and returns their client URLs once they agree on a leader.
func startChapter04(t *testing.T) []string {
	t.Helper()
	var urls []string
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		urls = append(urls, "http://"+ln.Addr().String())
		require.NoError(t, ln.Close())
	}
	c, err := cluster.Start(cluster.Config{ClientURLs: urls, DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Server: etcdserver.ServerConfig{TickMs: 10, ElectionTicks: 10}},
		func(cfg etcdserver.ServerConfig, net transport.Joiner) (*readindex.EtcdServer, error) {
			return readindex.NewServer(cfg, net)
		})
	require.NoError(t, err, "chapter 04's cluster should start")
	t.Cleanup(func() { require.NoError(t, c.Stop()) })
	clustertest.Leader(t, c.Members)
	return urls
}
