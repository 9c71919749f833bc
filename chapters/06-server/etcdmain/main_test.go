package etcdmain

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"etcdwalk/chapters/06-server/embed"
)

// runRecorded runs the command with a start hook that records the configuration it is given.
func runRecorded(t *testing.T, args, environ []string) (code int, started *embed.Config, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, environ, &out, &errOut, func(c *embed.Config) error { started = c; return nil })
	return code, started, out.String(), errOut.String()
}

const three = "infra1=http://127.0.0.1:2380,infra2=http://127.0.0.1:22380,infra3=http://127.0.0.1:32380"

func TestEveryFlagLandsInItsField(t *testing.T) {
	args := []string{
		"--name", "infra2", "--data-dir", "/d", "--wal-dir", "/w",
		"--listen-client-urls", "http://127.0.0.1:12379", "--advertise-client-urls", "http://127.0.0.1:12379",
		"--listen-peer-urls", "http://127.0.0.1:22380", "--initial-advertise-peer-urls", "http://127.0.0.1:22380",
		"--initial-cluster", three, "--initial-cluster-state", "existing", "--initial-cluster-token", "tok",
		"--snapshot-count", "42", "--snapshot-catchup-entries", "7", "--heartbeat-interval", "50", "--election-timeout", "600",
		"--quota-backend-bytes", "1048576", "--max-txn-ops", "9", "--max-request-bytes", "4096", "--log-level", "debug",
	}
	code, cfg, _, stderr := runRecorded(t, args, nil)
	require.Equal(t, 0, code, "a valid command line should start; stderr: %s", stderr)
	require.NotNil(t, cfg, "the start hook should get the configuration")
	want := embed.NewConfig()
	want.Name, want.Dir, want.WalDir = "infra2", "/d", "/w"
	want.ListenClientUrls, _ = embed.ParseURLs("http://127.0.0.1:12379")
	want.AdvertiseClientUrls, _ = embed.ParseURLs("http://127.0.0.1:12379")
	want.ListenPeerUrls, _ = embed.ParseURLs("http://127.0.0.1:22380")
	want.AdvertisePeerUrls, _ = embed.ParseURLs("http://127.0.0.1:22380")
	want.InitialCluster, want.ClusterState, want.InitialClusterToken = three, "existing", "tok"
	want.SnapshotCount, want.SnapshotCatchUpEntries, want.TickMs, want.ElectionMs = 42, 7, 50, 600
	want.QuotaBackendBytes, want.MaxTxnOps, want.MaxRequestBytes, want.LogLevel = 1048576, 9, 4096, "debug"
	require.Equal(t, want, cfg, "every flag should land in its embed.Config field")
}

func TestDefaults(t *testing.T) {
	code, cfg, _, stderr := runRecorded(t, nil, nil)
	require.Equal(t, 0, code, stderr)
	want := embed.NewConfig()
	want.Dir = "default.etcd"
	require.Equal(t, want, cfg, "no flags should give etcd's defaults, with etcd's <name>.etcd data dir")

	code, cfg, _, stderr = runRecorded(t, []string{"--name", "abc"}, nil)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "abc.etcd", cfg.Dir)
	assert.Equal(t, "abc=http://localhost:2380", cfg.InitialCluster, "--name alone renames the default cluster, as in etcd")
}

func TestEnvironment(t *testing.T) {
	t.Run("ETCD_ variables set flags", func(t *testing.T) {
		env := []string{"ETCD_NAME=infra1", "ETCD_INITIAL_CLUSTER=" + three, "ETCD_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.1:2380",
			"ETCD_SNAPSHOT_COUNT=5", "ETCD_MAX_TXN_OPS=3", "PATH=/bin"}
		code, cfg, _, stderr := runRecorded(t, []string{"--data-dir", "/d"}, env)
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, "infra1", cfg.Name)
		assert.Equal(t, three, cfg.InitialCluster)
		assert.Equal(t, uint64(5), cfg.SnapshotCount)
		assert.Equal(t, uint(3), cfg.MaxTxnOps)
		assert.Equal(t, "/d", cfg.Dir)
	})
	tests := []struct {
		name     string
		args     []string
		env      []string
		wantCode int
		wantErr  string
	}{
		{"a flag given both ways is refused, as etcd refuses it", []string{"--name", "y"}, []string{"ETCD_NAME=x"}, 2,
			"conflicting environment variable ETCD_NAME is shadowed by corresponding command-line flag --name"},
		{"a bad value in the environment names the variable", nil, []string{"ETCD_SNAPSHOT_COUNT=many"}, 2,
			`invalid value "many" for ETCD_SNAPSHOT_COUNT`},
		{"an unsupported etcd flag from the environment is named", nil, []string{"ETCD_AUTO_COMPACTION_RETENTION=1"}, 2,
			"environment variable ETCD_AUTO_COMPACTION_RETENTION sets --auto-compaction-retention, an etcd flag that etcdwalk does not support"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, cfg, _, stderr := runRecorded(t, tt.args, tt.env)
			require.Equal(t, tt.wantCode, code, stderr)
			require.Nil(t, cfg, "nothing should start")
			require.Contains(t, stderr, tt.wantErr)
		})
	}
	t.Run("unknown ETCD_ variables are warned about", func(t *testing.T) {
		code, _, _, stderr := runRecorded(t, nil, []string{"ETCD_NO_SUCH_FLAG=1", "ETCD_VERSION=1"})
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "unrecognized environment variable ETCD_NO_SUCH_FLAG")
		assert.Contains(t, stderr, "cannot set special environment variable ETCD_VERSION", "ETCD_VERSION must not turn a start into a version print")
	})
}

func TestRefusedCommandLines(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"an unsupported etcd flag is named", []string{"--auto-compaction-retention", "1"}, 2,
			"etcdwalk: flag --auto-compaction-retention is an etcd flag that etcdwalk does not support"},
		{"an unsupported boolean etcd flag takes no value", []string{"--enable-pprof", "--name", "x"}, 2,
			"flag --enable-pprof is an etcd flag that etcdwalk does not support"},
		{"etcdmain's own flags too", []string{"--config-file=/etc/etcd.yaml"}, 2,
			"flag --config-file is an etcd flag that etcdwalk does not support"},
		{"every unsupported flag is named", []string{"--auto-tls", "--cert-file", "c"}, 2,
			"flag --auto-tls is an etcd flag that etcdwalk does not support\nflag --cert-file is an etcd flag"},
		{"a flag etcd does not know either", []string{"--bogus-flag"}, 2, "flag provided but not defined: -bogus-flag"},
		{"a positional argument", []string{"start"}, 2, `"start" is not a valid flag`},
		{"bad cluster state", []string{"--initial-cluster-state", "old"}, 2, `invalid value "old" (valid values are new, existing)`},
		{"bad URL", []string{"--listen-peer-urls", "http://127.0.0.1"}, 2, `URL address does not have the form "host:port": http://127.0.0.1`},
		{"not a number", []string{"--snapshot-count", "x"}, 2, `invalid value "x" for flag -snapshot-count`},
		{"listen client URLs without advertised ones", []string{"--listen-client-urls", "http://127.0.0.1:12379"}, 1,
			"--advertise-client-urls is required when --listen-client-urls is set explicitly"},
		{"election timeout too short", []string{"--heartbeat-interval", "100", "--election-timeout", "400"}, 1,
			"--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]"},
		{"https", []string{"--listen-peer-urls", "https://127.0.0.1:2380"}, 1, "only http:// URLs are supported"},
		{"bad log level", []string{"--log-level", "chatty"}, 1, `--log-level "chatty": unrecognized level`},
		{"zero max txn ops", []string{"--max-txn-ops", "0"}, 1, "--max-txn-ops must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, cfg, _, stderr := runRecorded(t, tt.args, nil)
			require.Equal(t, tt.wantCode, code, "exit status; stderr: %s", stderr)
			require.Nil(t, cfg, "a refused command line must never reach the start hook")
			require.Contains(t, stderr, tt.wantErr)
		})
	}
}

func TestIgnoredFlagsWarnAndStart(t *testing.T) {
	code, cfg, _, stderr := runRecorded(t, []string{"--force", "--name", "x"}, nil)
	require.Equal(t, 0, code, stderr)
	require.NotNil(t, cfg)
	assert.Equal(t, "x", cfg.Name, "an ignored flag takes no value, as in etcd")
	assert.Contains(t, stderr, "flag --force is no longer supported by etcd - ignoring")
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		code, cfg, stdout, _ := runRecorded(t, []string{arg}, nil)
		require.Equal(t, 0, code)
		require.Nil(t, cfg, "--help starts nothing")
		assert.Contains(t, stdout, "etcdwalk [flags]")
		assert.Contains(t, stdout, "-initial-cluster-token", "help should list the supported flags")
		assert.Contains(t, stdout, "Time (in milliseconds) of a heartbeat interval.", "with etcd's help texts")
		assert.NotContains(t, stdout, "-auto-compaction-retention", "help should not list the flags etcdwalk refuses")
	}
	code, cfg, stdout, _ := runRecorded(t, []string{"--version"}, nil)
	require.Equal(t, 0, code)
	require.Nil(t, cfg, "--version starts nothing")
	lines := strings.Split(stdout, "\n")
	require.GreaterOrEqual(t, len(lines), 4)
	for i, prefix := range []string{"etcd Version: 3.6.", "Git SHA: ", "Go Version: go", "Go OS/Arch: "} {
		assert.True(t, strings.HasPrefix(lines[i], prefix), "line %d of --version should start %q, as etcd's does; got %q", i+1, prefix, lines[i])
	}
}

// A start that fails (here: the client port is taken) is exit status 1 with the reason, and
// leaves nothing running.
func TestStartFailureIsExitOne(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	peer := "http://" + free.Addr().String()
	require.NoError(t, free.Close())
	client := "http://" + taken.Addr().String()
	var errOut bytes.Buffer
	code := run([]string{"--data-dir", t.TempDir(), "--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "default=" + peer},
		nil, &bytes.Buffer{}, &errOut, startEtcd)
	require.Equal(t, 1, code, "a member that cannot start exits 1")
	require.Contains(t, errOut.String(), taken.Addr().String(), "and says which address it could not listen on")
}

func TestUnsupportedListHasNoSupportedFlag(t *testing.T) {
	cfg := newConfig(&bytes.Buffer{})
	for _, name := range []string{"name", "data-dir", "wal-dir", "listen-client-urls", "advertise-client-urls", "listen-peer-urls",
		"initial-advertise-peer-urls", "initial-cluster", "initial-cluster-state", "initial-cluster-token", "snapshot-count",
		"snapshot-catchup-entries", "heartbeat-interval", "election-timeout", "quota-backend-bytes", "max-txn-ops",
		"max-request-bytes", "log-level", "version"} {
		_, unsupported := unsupportedFlags[name]
		assert.False(t, unsupported, "--%s is supported and must not be in the unsupported list", name)
		assert.NotNil(t, cfg.fs.Lookup(name), "--%s should be defined", name)
	}
	assert.Len(t, unsupportedFlags, 119, "etcd v3.6.16 has 133 embed flags + 5 of etcdmain's; 19 are supported")
}
