package main

import (
	"errors"
	"testing"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noSort and noLimit are what every get of etcdctl carries: WithLimit(0) and a sort by key,
// ascending by default, which clientv3 sends as no sort.
var (
	noLimit = clientv3.WithLimit(0)
	noSort  = clientv3.WithSort(clientv3.SortByKey, clientv3.SortNone)
)

// requireExit checks that err is an exitError with code and message.
func requireExit(t *testing.T, err error, code int, msg string) {
	t.Helper()
	var ee *exitError
	require.True(t, errors.As(err, &ee), "want an error with exit status %d (%q), got %v", code, msg, err)
	assert.Equal(t, code, ee.code, "exit status of %q", msg)
	assert.EqualError(t, err, msg)
}

func TestGetGetOp(t *testing.T) {
	tests := []struct {
		name     string
		o        getOptions
		args     []string
		want     clientv3.Op
		wantCode int
		wantErr  string
	}{
		{name: "a key", o: getOptions{consistency: "l"}, args: []string{"k"},
			want: clientv3.OpGet("k", noLimit, noSort)},
		{name: "a range", o: getOptions{consistency: "l"}, args: []string{"a", "z"},
			want: clientv3.OpGet("a", clientv3.WithRange("z"), noLimit, noSort)},
		{name: "serializable", o: getOptions{consistency: "s"}, args: []string{"k"},
			want: clientv3.OpGet("k", clientv3.WithSerializable(), noLimit, noSort)},
		{name: "prefix", o: getOptions{consistency: "l", prefix: true}, args: []string{"k"},
			want: clientv3.OpGet("k", noLimit, noSort, clientv3.WithPrefix())},
		{name: "the empty prefix is every key", o: getOptions{consistency: "l", prefix: true}, args: []string{""},
			want: clientv3.OpGet("\x00", noLimit, noSort, clientv3.WithFromKey())},
		{name: "from the empty key", o: getOptions{consistency: "l", fromKey: true}, args: []string{""},
			want: clientv3.OpGet("\x00", noLimit, noSort, clientv3.WithFromKey())},
		{name: "sort, limit, revision, keys only", o: getOptions{consistency: "l", sortTarget: "modify", sortOrder: "Descend", limit: 3, rev: 7, keysOnly: true},
			args: []string{"k"},
			want: clientv3.OpGet("k", clientv3.WithLimit(3), clientv3.WithRev(7),
				clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortDescend), clientv3.WithKeysOnly())},
		{name: "a revision of 0 or less is the latest", o: getOptions{consistency: "l", rev: -1}, args: []string{"k"},
			want: clientv3.OpGet("k", noLimit, noSort)},
		{name: "count only and revision filters", o: getOptions{consistency: "l", countOnly: true, minCreateRev: 2, maxCreateRev: 5, minModRev: 3, maxModRev: 3},
			args: []string{"k"},
			want: clientv3.OpGet("k", noLimit, noSort, clientv3.WithCountOnly(), clientv3.WithMinCreateRev(2),
				clientv3.WithMaxCreateRev(5), clientv3.WithMinModRev(3), clientv3.WithMaxModRev(3))},

		{name: "no key", o: getOptions{consistency: "l"}, wantCode: ExitBadArgs,
			wantErr: "get command needs one argument as key and an optional argument as range_end"},
		{name: "prefix and from-key", o: getOptions{consistency: "l", prefix: true, fromKey: true}, args: []string{"k"},
			wantCode: ExitBadArgs, wantErr: "`--prefix` and `--from-key` cannot be set at the same time, choose one"},
		{name: "keys only and count only", o: getOptions{consistency: "l", keysOnly: true, countOnly: true}, args: []string{"k"},
			wantCode: ExitBadArgs, wantErr: "`--keys-only` and `--count-only` cannot be set at the same time, choose one"},
		{name: "a range end with prefix", o: getOptions{consistency: "l", prefix: true}, args: []string{"a", "z"},
			wantCode: ExitBadArgs, wantErr: "too many arguments, only accept one argument when `--prefix` or `--from-key` is set"},
		{name: "unknown consistency", o: getOptions{consistency: "x"}, args: []string{"k"},
			wantCode: ExitBadFeature, wantErr: `unknown consistency flag "x"`},
		{name: "unknown order", o: getOptions{consistency: "l", sortOrder: "up"}, args: []string{"k"},
			wantCode: ExitBadFeature, wantErr: "bad sort order up"},
		{name: "unknown target", o: getOptions{consistency: "l", sortTarget: "size"}, args: []string{"k"},
			wantCode: ExitBadFeature, wantErr: "bad sort target size"},
		{name: "min create above max", o: getOptions{consistency: "l", minCreateRev: 5, maxCreateRev: 4}, args: []string{"k"},
			wantCode: ExitBadFeature, wantErr: "getMinCreateRev(=5) > getMaxCreateRev(=4)"},
		{name: "min mod above max", o: getOptions{consistency: "l", minModRev: 5, maxModRev: 4}, args: []string{"k"},
			wantCode: ExitBadFeature, wantErr: "getMinModRev(=5) > getMaxModRev(=4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, opts, err := getGetOp(&tt.o, tt.args)
			if tt.wantErr != "" {
				requireExit(t, err, tt.wantCode, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, clientv3.OpGet(key, opts...), "the Get etcdctl sends for %q", tt.args)
		})
	}
}

func TestGetDelOp(t *testing.T) {
	rangeDeleteGrace = 0
	tests := []struct {
		name     string
		o        delOptions
		args     []string
		want     clientv3.Op
		wantWarn string
		wantCode int
		wantErr  string
	}{
		{name: "a key", args: []string{"k"}, want: clientv3.OpDelete("k")},
		{name: "prefix with previous values", o: delOptions{prefix: true, prevKV: true}, args: []string{"k"},
			want: clientv3.OpDelete("k", clientv3.WithPrefix(), clientv3.WithPrevKV())},
		{name: "the empty prefix is every key", o: delOptions{prefix: true}, args: []string{""},
			want: clientv3.OpDelete("\x00", clientv3.WithFromKey())},
		{name: "from a key", o: delOptions{fromKey: true}, args: []string{"k"},
			want: clientv3.OpDelete("k", clientv3.WithFromKey())},
		{name: "a range with --range", o: delOptions{isRange: true}, args: []string{"a", "z"},
			want: clientv3.OpDelete("a", clientv3.WithRange("z"))},
		{name: "a range without --range warns first", args: []string{"a", "z"},
			want:     clientv3.OpDelete("a", clientv3.WithRange("z")),
			wantWarn: "Warning: Keys between \"a\" and \"z\" will be deleted. Please interrupt the command within next 2 seconds to cancel. You can provide `--range` flag to avoid the delay.\n"},

		{name: "no key", wantCode: ExitBadArgs, wantErr: "del command needs one argument as key and an optional argument as range_end"},
		{name: "three arguments", args: []string{"a", "b", "c"}, wantCode: ExitBadArgs,
			wantErr: "del command needs one argument as key and an optional argument as range_end"},
		{name: "prefix and from-key", o: delOptions{prefix: true, fromKey: true}, args: []string{"k"}, wantCode: ExitBadArgs,
			wantErr: "`--prefix` and `--from-key` cannot be set at the same time, choose one"},
		{name: "a range end with from-key", o: delOptions{fromKey: true}, args: []string{"a", "z"}, wantCode: ExitBadArgs,
			wantErr: "too many arguments, only accept one argument when `--prefix` or `--from-key` is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut := swapStreams(t, "")
			key, opts, err := getDelOp(&tt.o, tt.args)
			if tt.wantErr != "" {
				requireExit(t, err, tt.wantCode, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, clientv3.OpDelete(key, opts...), "the DeleteRange etcdctl sends for %q", tt.args)
			assert.Equal(t, tt.wantWarn, errOut.String(), "del's warning on stderr")
		})
	}
}

func TestGetPutOp(t *testing.T) {
	tests := []struct {
		name     string
		o        putOptions
		args     []string
		stdin    string
		wantKey  string
		wantVal  string
		wantOp   clientv3.Op
		wantCode int
		wantErr  string
	}{
		{name: "key and value", o: putOptions{lease: "0"}, args: []string{"k", "v"}, wantOp: clientv3.OpPut("k", "v")},
		{name: "the value from stdin, newline and all", o: putOptions{lease: "0"}, args: []string{"k"}, stdin: "from\nstdin\n",
			wantOp: clientv3.OpPut("k", "from\nstdin\n")},
		{name: "lease in hex, previous value", o: putOptions{lease: "a1", prevKV: true}, args: []string{"k", "v"},
			wantOp: clientv3.OpPut("k", "v", clientv3.WithLease(0xa1), clientv3.WithPrevKV())},
		{name: "ignore value and lease", o: putOptions{lease: "0", ignoreValue: true, ignoreLease: true}, args: []string{"k"},
			wantOp: clientv3.OpPut("k", "", clientv3.WithIgnoreValue(), clientv3.WithIgnoreLease())},

		{name: "no key", o: putOptions{lease: "0"}, wantCode: ExitBadArgs,
			wantErr: "put command needs 1 argument and input from stdin or 2 arguments"},
		{name: "no value and empty stdin", o: putOptions{lease: "0"}, args: []string{"k"}, wantCode: ExitBadArgs,
			wantErr: "put command needs 1 argument and input from stdin or 2 arguments"},
		{name: "a value with ignore-value", o: putOptions{lease: "0", ignoreValue: true}, args: []string{"k", "v"}, wantCode: ExitBadArgs,
			wantErr: "put command needs only 1 argument when 'ignore-value' is set"},
		{name: "a lease not in hex", o: putOptions{lease: "xyz"}, args: []string{"k", "v"}, wantCode: ExitBadArgs,
			wantErr: `bad lease ID (strconv.ParseInt: parsing "xyz": invalid syntax), expecting ID in Hex`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			swapStreams(t, tt.stdin)
			key, val, opts, err := getPutOp(&tt.o, tt.args)
			if tt.wantErr != "" {
				requireExit(t, err, tt.wantCode, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantOp, clientv3.OpPut(key, val, opts...), "the Put etcdctl sends for %q", tt.args)
		})
	}
}

func TestArgify(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`put k v`, []string{"put", "k", "v"}},
		{`  put   k    v  `, []string{"put", "k", "v"}},
		{`put "a b" 'c d'`, []string{"put", "a b", "c d"}},
		{`put "tab\there" 'no\tescape'`, []string{"put", "tab\there", `no\tescape`}},
		{`put "say \"hi\"" x`, []string{"put", `say "hi"`, "x"}},
		{`put k --prev-kv`, []string{"put", "k", "--prev-kv"}},
		{`put "" x`, []string{"put", "", "x"}},
		{``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Argify(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "the words of %q", tt.in)
		})
	}
	_, err := Argify(`put "bad\q" v`)
	require.Error(t, err, "a double-quoted word that is not a Go string literal")
	var ee *exitError
	require.True(t, errors.As(err, &ee))
	assert.Equal(t, ExitInvalidInput, ee.code)
}

func TestIsSerializable(t *testing.T) {
	s, err := isSerializable("s", "s")
	require.NoError(t, err)
	assert.True(t, s, "s is serializable")
	s, err = isSerializable("l", "l")
	require.NoError(t, err)
	assert.False(t, s, "l is linearizable")
	_, err = isSerializable("x", "l")
	requireExit(t, err, ExitBadFeature, `unknown consistency flag "l"`)
}
