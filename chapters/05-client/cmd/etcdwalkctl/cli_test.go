package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelpIsEtcdctls compares each command's --help with what etcdctl v3.6.16 prints
// (testdata/help, etcdctl's output with its name in the USAGE lines changed to etcdwalkctl).
func TestHelpIsEtcdctls(t *testing.T) {
	files, err := filepath.Glob("testdata/help/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files, "testdata/help should hold etcdctl's help of the commands")
	for _, f := range files {
		args := strings.Split(strings.TrimSuffix(filepath.Base(f), ".txt"), "_")
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			want, err := os.ReadFile(f)
			require.NoError(t, err)
			out, errOut, code := runCtl(t, "", append(args, "--help")...)
			assert.Equal(t, 0, code, "exit status of --help")
			assert.Equal(t, string(want), out, "etcdwalkctl %s --help should print etcdctl's help", strings.Join(args, " "))
			assert.Empty(t, errOut, "--help writes nothing on stderr")
		})
	}
}

// TestUsageErrors runs commands that fail before they reach a server: no endpoint is needed,
// and none is contacted (the endpoint given is a closed port). Each must fail as etcdctl does.
func TestUsageErrors(t *testing.T) {
	ep := "--endpoints=127.0.0.1:1"
	tests := []struct {
		name    string
		args    []string
		stdin   string
		wantOut string // a prefix of stdout
		wantErr string
		// with wantErrPrefix, stderr starts with it and ends with wantErr
		wantErrPrefix string
		wantCode      int
	}{
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: ExitError,
			wantErr: "Error: unknown command \"frobnicate\" for \"etcdwalkctl\"\nRun 'etcdwalkctl --help' for usage.\n"},
		{name: "misspelt command", args: []string{"gte", "foo"}, wantCode: ExitError,
			wantErr: "Error: unknown command \"gte\" for \"etcdwalkctl\"\n\nDid you mean this?\n\tget\n\nRun 'etcdwalkctl --help' for usage.\n"},
		{name: "ambiguous prefix", args: []string{"m", "list"}, wantCode: ExitError,
			wantErr: "Error: unknown command \"m\" for \"etcdwalkctl\"\n\nDid you mean this?\n\tmove-leader\n\tmember\n\tmake-mirror\n\nRun 'etcdwalkctl --help' for usage.\n"},
		{name: "unknown flag: the usage on stdout, the error and an empty line on stderr", args: []string{"get", "--bad", "k"},
			wantCode: ExitError, wantOut: "NAME:\n  get - Gets the key or a range of keys\n", wantErr: "Error: unknown flag: --bad\n\n"},
		{name: "bad flag value", args: []string{"get", "--limit=x", "k"}, wantCode: ExitError, wantOut: "NAME:\n",
			wantErr: "Error: invalid argument \"x\" for \"--limit\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n\n"},
		{name: "put without a key", args: []string{ep, "put"}, wantCode: ExitBadArgs,
			wantErr: "Error: put command needs 1 argument and input from stdin or 2 arguments\n"},
		{name: "get with prefix and from-key", args: []string{ep, "get", "k", "--prefix", "--from-key"}, wantCode: ExitBadArgs,
			wantErr: "Error: `--prefix` and `--from-key` cannot be set at the same time, choose one\n"},
		{name: "get with a bad sort order", args: []string{ep, "get", "k", "--order=up"}, wantCode: ExitBadFeature,
			wantErr: "Error: bad sort order up\n"},
		{name: "del with prefix and from-key", args: []string{ep, "del", "k", "--prefix", "--from-key"}, wantCode: ExitBadArgs,
			wantErr: "Error: `--prefix` and `--from-key` cannot be set at the same time, choose one\n"},
		{name: "txn with an argument", args: []string{ep, "txn", "x"}, wantCode: ExitBadArgs,
			wantErr: "Error: txn command does not accept argument\n"},
		{name: "compaction without a revision", args: []string{ep, "compaction"}, wantCode: ExitBadArgs,
			wantErr: "Error: compaction command needs 1 argument\n"},
		{name: "compaction of a word", args: []string{ep, "compaction", "abc"}, wantCode: ExitError,
			wantErr: "Error: strconv.ParseInt: parsing \"abc\": invalid syntax\n"},
		{name: "member list with a bad consistency names get's default", args: []string{ep, "member", "list", "--consistency=x"},
			wantCode: ExitBadFeature, wantErr: "Error: unknown consistency flag \"l\"\n"},
		{name: "unknown output format", args: []string{ep, "-w", "yaml", "get", "k"}, wantCode: ExitBadFeature,
			wantErr: "Error: unsupported output format\n"},
		{name: "no endpoints", args: []string{"--endpoints=", "get", "k"}, wantCode: ExitBadConnection,
			wantErr: "Error: etcdclient: no available endpoints\n"},
		{name: "TLS", args: []string{ep, "--cert=c.pem", "get", "k"}, wantCode: ExitBadArgs,
			wantErr: "Error: --cert: etcdwalkctl speaks plain gRPC only (no TLS, authentication or DNS discovery)\n"},
		{name: "authentication", args: []string{ep, "--user=root:pw", "get", "k"}, wantCode: ExitBadArgs,
			wantErr: "Error: --user: etcdwalkctl speaks plain gRPC only (no TLS, authentication or DNS discovery)\n"},
		{name: "a command etcdctl has and etcdwalkctl does not", args: []string{"lease", "grant", "10"}, wantCode: ExitError,
			wantErr: "Error: etcdwalkctl does not support \"lease\": the servers of these chapters serve no Lease API\n"},
		{name: "a member subcommand etcdwalkctl does not have", args: []string{"member", "add", "m4", "--peer-urls=http://x"}, wantCode: ExitError,
			wantErr: "Error: etcdwalkctl does not support \"member add\": the servers of these chapters have a fixed membership, and chapter 05's client has MemberList only\n"},
		{name: "a txn compare etcdctl panics on", args: []string{ep, "txn"}, stdin: "val(\"k\") == \"v\"\n\n\n\n", wantCode: ExitInvalidInput,
			wantErr: "Error: malformed comparison: val(\"k\") == \"v\" (unknown operator ==)\n"},
		// put's help (cobra's own layout, on stderr) and then the error.
		{name: "a txn request etcdctl waits forever on", args: []string{ep, "txn"}, stdin: "\nput --help\n\n\n", wantCode: ExitInvalidInput,
			wantErrPrefix: "\nPuts the given key into the store.\n", wantErr: "Error: invalid txn request: put --help\n"},
		// cobra's usage of get on stderr, as etcdctl prints it, and then the error.
		{name: "a txn request with a bad flag", args: []string{ep, "txn"}, stdin: "\nget --bad k\n\n\n", wantCode: ExitInvalidInput,
			wantErrPrefix: "Usage:\n   get [options] <key> [range_end] [flags]\n", wantErr: "Error: invalid txn request: get --bad k\n"},
		{name: "a txn cut short", args: []string{ep, "txn"}, stdin: "val(\"k\") = \"v\"\n", wantCode: ExitInvalidInput,
			wantErr: "Error: EOF\n"},
		{name: "the interactive txn prompts on stdout", args: []string{ep, "txn", "-i"}, stdin: "\n", wantCode: ExitInvalidInput,
			wantOut: "compares:\nsuccess requests (get, put, del):\n", wantErr: "Error: EOF\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCtl(t, tt.stdin, tt.args...)
			assert.Equal(t, tt.wantCode, code, "exit status of etcdwalkctl %s (stderr %q)", strings.Join(tt.args, " "), errOut)
			if tt.wantOut == "" {
				assert.Empty(t, out, "stdout")
			} else {
				assert.True(t, strings.HasPrefix(out, tt.wantOut), "stdout should start with %q:\n%s", tt.wantOut, out)
			}
			if tt.wantErrPrefix != "" {
				assert.True(t, strings.HasPrefix(errOut, tt.wantErrPrefix), "stderr should start with %q:\n%s", tt.wantErrPrefix, errOut)
				assert.True(t, strings.HasSuffix(errOut, tt.wantErr), "stderr should end with %q:\n%s", tt.wantErr, errOut)
				return
			}
			assert.Equal(t, tt.wantErr, errOut, "stderr")
		})
	}
}

// TestEnvironment covers the ETCDCTL_* variables: they fill the global flags the command line
// left unset, an unknown one is warned about in a log line, and one that names a flag also
// given on the command line ends the program.
func TestEnvironment(t *testing.T) {
	t.Run("a variable sets its flag", func(t *testing.T) {
		t.Setenv("ETCDCTL_WRITE_OUT", "yaml")
		_, errOut, code := runCtl(t, "", "--endpoints=127.0.0.1:1", "get", "k")
		assert.Equal(t, ExitBadFeature, code, "ETCDCTL_WRITE_OUT=yaml is -w yaml")
		assert.Equal(t, "Error: unsupported output format\n", errOut)
	})
	t.Run("the command line and the environment both set a flag", func(t *testing.T) {
		t.Setenv("ETCDCTL_ENDPOINTS", "127.0.0.1:1")
		_, errOut, code := runCtl(t, "", "--endpoints=127.0.0.1:1", "get", "k")
		assert.Equal(t, ExitError, code, "a flag set twice is fatal")
		assert.True(t, strings.HasPrefix(errOut, `{"level":"fatal","msg":"conflicting environment variable is shadowed by corresponding command-line flag`),
			"a zap-like fatal line names the conflict: %s", errOut)
		assert.Contains(t, errOut, `"environment-variable":"ETCDCTL_ENDPOINTS"`)
	})
	t.Run("an unknown variable is warned about", func(t *testing.T) {
		t.Setenv("ETCDCTL_API", "3")
		t.Setenv("ETCDCTL_WRITE_OUT", "yaml")
		_, errOut, _ := runCtl(t, "", "--endpoints=127.0.0.1:1", "get", "k")
		lines := strings.SplitAfter(errOut, "\n")
		require.Len(t, lines, 3, "a warning, the error, and nothing after the last newline: %q", errOut)
		assert.True(t, strings.HasPrefix(lines[0], `{"level":"warn","msg":"unrecognized environment variable"`), "the warning: %s", lines[0])
		assert.Contains(t, lines[0], `"environment-variable":"ETCDCTL_API=3"`)
		assert.Equal(t, "Error: unsupported output format\n", lines[1])
	})
	t.Run("an empty variable is no value", func(t *testing.T) {
		t.Setenv("ETCDCTL_WRITE_OUT", "")
		t.Setenv("ETCDCTL_COMMAND_TIMEOUT", "1ms")
		_, errOut, code := runCtl(t, "", "--endpoints=127.0.0.1:1", "compaction", "3")
		assert.Equal(t, ExitError, code, "the compaction cannot reach a closed port within ETCDCTL_COMMAND_TIMEOUT")
		assert.Contains(t, errOut, "Error: context deadline exceeded\n")
		assert.Contains(t, errOut, `"environment-variable":"ETCDCTL_WRITE_OUT="`, "the empty variable is not used, so it is warned about")
	})
}
