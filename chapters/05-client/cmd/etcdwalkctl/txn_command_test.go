package main

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCompare(t *testing.T) {
	tests := []struct {
		line    string
		want    clientv3.Cmp
		wantErr string
	}{
		{line: `ver("k") = "3"`, want: clientv3.Compare(clientv3.Version("k"), "=", int64(3))},
		{line: `version("k") != "0"`, want: clientv3.Compare(clientv3.Version("k"), "!=", int64(0))},
		{line: `c("k") > "10"`, want: clientv3.Compare(clientv3.CreateRevision("k"), ">", int64(10))},
		{line: `create("k") < "-1"`, want: clientv3.Compare(clientv3.CreateRevision("k"), "<", int64(-1))},
		{line: `m("k") > "0"`, want: clientv3.Compare(clientv3.ModRevision("k"), ">", int64(0))},
		{line: `mod("k") = "7"`, want: clientv3.Compare(clientv3.ModRevision("k"), "=", int64(7))},
		{line: `val("k") = "v"`, want: clientv3.Compare(clientv3.Value("k"), "=", "v")},
		{line: `value("k") != ""`, want: clientv3.Compare(clientv3.Value("k"), "!=", "")},
		{line: `lease("k") = "ff"`, want: clientv3.Compare(clientv3.LeaseValue("k"), "=", int64(255))},
		// The key and the value are Go string literals: escapes, and backquoted raw strings.
		{line: `val("a\tb") = "x\"y"`, want: clientv3.Compare(clientv3.Value("a\tb"), "=", `x"y`)},
		{line: "val(`raw\\n`) = `v`", want: clientv3.Compare(clientv3.Value(`raw\n`), "=", "v")},

		{line: `val "k" = "v"`, wantErr: `malformed comparison: val "k" = "v"`},
		{line: `val("k") = v`, wantErr: `malformed comparison: val("k") = v; got val("k") = ""`},
		{line: `val(k) = "v"`, wantErr: `malformed comparison: val(k) = "v"; got val("")  ""`},
		{line: `val("k")`, wantErr: `malformed comparison: val("k"); got val("k")  ""`},
		{line: `foo("k") = "v"`, wantErr: `malformed comparison: foo("k") = "v" (unknown target foo)`},
		{line: `ver("k") = "x"`, wantErr: `invalid txn compare request: ver("k") = "x"`},
		{line: `lease("k") = "zz"`, wantErr: `invalid txn compare request: lease("k") = "zz"`},
		// etcdctl hands an unknown operator to clientv3.Compare, which panics.
		{line: `val("k") == "v"`, wantErr: `malformed comparison: val("k") == "v" (unknown operator ==)`},
		{line: `ver("k") >= "1"`, wantErr: `malformed comparison: ver("k") >= "1" (unknown operator >=)`},
		// The target decides first, as in etcdctl: an unknown target with a bad operator is
		// reported as the unknown target.
		{line: `foo("k") == "v"`, wantErr: `malformed comparison: foo("k") == "v" (unknown target foo)`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := ParseCompare(tt.line)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr, "ParseCompare should refuse the line with etcdctl's message")
				return
			}
			require.NoError(t, err, "ParseCompare should read the line")
			assert.Equal(t, tt.want, *got, "ParseCompare should build the Cmp etcdctl builds")
		})
	}
}

func TestParseRequestUnion(t *testing.T) {
	tests := []struct {
		line     string
		want     clientv3.Op
		wantErr  string
		wantCode int
	}{
		{line: `put k v`, want: clientv3.OpPut("k", "v")},
		{line: `put "a b" 'c d'`, want: clientv3.OpPut("a b", "c d")},
		{line: `put k v --prev-kv`, want: clientv3.OpPut("k", "v", clientv3.WithPrevKV())},
		{line: `put k --ignore-value`, want: clientv3.OpPut("k", "", clientv3.WithIgnoreValue())},
		{line: `put k v --lease=1f`, want: clientv3.OpPut("k", "v", clientv3.WithLease(0x1f))},
		{line: `get k`, want: clientv3.OpGet("k", clientv3.WithLimit(0), clientv3.WithSort(clientv3.SortByKey, clientv3.SortNone))},
		{line: `get k --prefix --limit=2 --rev=3`, want: clientv3.OpGet("k", clientv3.WithLimit(2), clientv3.WithRev(3),
			clientv3.WithSort(clientv3.SortByKey, clientv3.SortNone), clientv3.WithPrefix())},
		{line: `get a z --sort-by=value --order=descend`, want: clientv3.OpGet("a", clientv3.WithRange("z"), clientv3.WithLimit(0),
			clientv3.WithSort(clientv3.SortByValue, clientv3.SortDescend))},
		{line: `del k`, want: clientv3.OpDelete("k")},
		{line: `del k --prefix --prev-kv`, want: clientv3.OpDelete("k", clientv3.WithPrefix(), clientv3.WithPrevKV())},
		{line: `del a z --range`, want: clientv3.OpDelete("a", clientv3.WithRange("z"))},
		{line: `del "" --from-key`, want: clientv3.OpDelete("\x00", clientv3.WithFromKey())},
		// A unique prefix names the command, as on etcdctl's command line.
		{line: `g k`, want: clientv3.OpGet("k", clientv3.WithLimit(0), clientv3.WithSort(clientv3.SortByKey, clientv3.SortNone))},

		{line: `put`, wantErr: "invalid txn compare request: put", wantCode: ExitInvalidInput},
		{line: `frob k`, wantErr: "invalid txn request: frob k", wantCode: ExitInvalidInput},
		{line: `get --bad k`, wantErr: "invalid txn request: get --bad k", wantCode: ExitInvalidInput},
		{line: `put --help`, wantErr: "invalid txn request: put --help", wantCode: ExitInvalidInput},
		{line: `put "bad\q" v`, wantErr: "invalid syntax", wantCode: ExitInvalidInput},
		// The command's own checks give the command's own error and status.
		{line: `get k --prefix --from-key`, wantErr: "`--prefix` and `--from-key` cannot be set at the same time, choose one", wantCode: ExitBadArgs},
		{line: `del k --prefix --from-key`, wantErr: "`--prefix` and `--from-key` cannot be set at the same time, choose one", wantCode: ExitBadArgs},
		{line: `get k --sort-by=size`, wantErr: "bad sort target size", wantCode: ExitBadFeature},
		{line: `put k v --lease=zz`, wantErr: `bad lease ID (strconv.ParseInt: parsing "zz": invalid syntax), expecting ID in Hex`, wantCode: ExitBadArgs},
		{line: `put k v w --ignore-value`, wantErr: "put command needs only 1 argument when 'ignore-value' is set", wantCode: ExitBadArgs},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			swapStreams(t, "")
			got, err := parseRequestUnion(tt.line)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr, "the line should be refused with etcdctl's message")
				var ee *exitError
				require.True(t, errors.As(err, &ee), "the error should carry an exit status: %v", err)
				assert.Equal(t, tt.wantCode, ee.code, "exit status of %q", tt.line)
				return
			}
			require.NoError(t, err, "the line should parse")
			assert.Equal(t, tt.want, *got, "the Op of %q", tt.line)
		})
	}
}

// TestReadOpsBlocks reads a txn's three blocks: each ends at an empty line (blank with spaces
// too), and input that ends before the empty line is an error, as in etcdctl.
func TestReadOpsBlocks(t *testing.T) {
	swapStreams(t, "")
	r := bufio.NewReader(strings.NewReader("mod(\"k\") > \"0\"\n  \n put k v \nget k\n\n\n"))
	cmps, err := readCompares(r)
	require.NoError(t, err)
	assert.Equal(t, []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision("k"), ">", int64(0))}, cmps, "the compares block")
	thenOps, err := readOps(r)
	require.NoError(t, err)
	require.Len(t, thenOps, 2, "the success block has a put and a get")
	assert.True(t, thenOps[0].IsPut() && thenOps[1].IsGet(), "the success block: put, then get")
	elseOps, err := readOps(r)
	require.NoError(t, err)
	assert.Empty(t, elseOps, "an empty failure block")

	_, err = readOps(r)
	require.EqualError(t, err, "EOF", "a block that the input ends before its empty line")
	var ee *exitError
	require.True(t, errors.As(err, &ee))
	assert.Equal(t, ExitInvalidInput, ee.code)

	_, err = readCompares(bufio.NewReader(strings.NewReader(`val("k") = "v"`)))
	require.EqualError(t, err, "EOF", "a compare without its newline is not read")
}

// swapStreams gives the package's stdin in and its stdout and stderr buffers for one test.
func swapStreams(t *testing.T, in string) (out, errOut *syncBuffer) {
	out, errOut = &syncBuffer{}, &syncBuffer{}
	oldIn, oldOut, oldErr := stdin, stdout, stderr
	stdin, stdout, stderr = strings.NewReader(in), out, errOut
	t.Cleanup(func() { stdin, stdout, stderr = oldIn, oldOut, oldErr })
	return out, errOut
}
