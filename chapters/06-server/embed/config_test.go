package embed

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewConfigHasEtcdDefaults(t *testing.T) {
	cfg := NewConfig()
	u := func(s string) []url.URL { return []url.URL{{Scheme: "http", Host: s}} }
	// etcd v3.6.16's NewConfig, field by field (embed/config.go).
	want := &Config{
		Name: "default", SnapshotCount: 10000, SnapshotCatchUpEntries: 5000, TickMs: 100, ElectionMs: 1000,
		ListenPeerUrls: u("localhost:2380"), ListenClientUrls: u("localhost:2379"),
		AdvertisePeerUrls: u("localhost:2380"), AdvertiseClientUrls: u("localhost:2379"),
		ClusterState: "new", InitialCluster: "default=http://localhost:2380", InitialClusterToken: "etcd-cluster",
		LogLevel: "info",
	}
	want.MaxTxnOps, want.MaxRequestBytes = 128, 1536*1024
	require.Equal(t, want, cfg, "NewConfig should have etcd v3.6's defaults")
	require.Equal(t, 0, int(cfg.QuotaBackendBytes), "etcd's --quota-backend-bytes default is 0, meaning 2 GiB")
	require.Equal(t, "", cfg.Dir, "etcd's embed leaves Dir empty; etcdmain makes it <name>.etcd")
	require.Equal(t, 10, cfg.ElectionTicks())
	require.NoError(t, cfg.Validate(), "etcd's defaults should be valid")
	require.NoError(t, cfg.VerifyBootstrap(), "etcd's default one-member cluster should bootstrap")
}

// The IDs real etcd v3.6.16 gives this cluster: obtained by starting three etcd processes
// (built with `cd interop && go build -o /tmp/etcd go.etcd.io/etcd/server/v3`) with
// --name infraN --initial-advertise-peer-urls/--listen-peer-urls http://127.0.0.1:{2380,22380,32380}
// --initial-cluster <below> --initial-cluster-token etcd-cluster --initial-cluster-state new, then
// `etcdctl member list` (member IDs) and `etcdctl endpoint status -w json` (cluster_id
// 463090138629053241 = 0x66d3a070bf89b39).
func TestInitialMembersHaveEtcdIDs(t *testing.T) {
	const initialCluster = "infra1=http://127.0.0.1:2380,infra2=http://127.0.0.1:22380,infra3=http://127.0.0.1:32380"
	wantIDs := map[string]string{"infra1": "b71f75320dc06a6c", "infra2": "9e737febb6b99eee", "infra3": "628170c800dbcee"}
	for _, name := range []string{"infra1", "infra2", "infra3"} {
		t.Run(name, func(t *testing.T) {
			cfg := NewConfig()
			cfg.Name, cfg.InitialCluster = name, initialCluster
			members, clusterID, err := cfg.InitialMembers()
			require.NoError(t, err)
			require.Equal(t, "66d3a070bf89b39", fmt.Sprintf("%x", clusterID), "cluster ID should be real etcd's for the same --initial-cluster and token")
			require.Len(t, members, 3)
			got := map[string]string{}
			for _, m := range members {
				got[m.Name] = fmt.Sprintf("%x", m.ID)
				if m.Name == name {
					assert.Equal(t, []string{"http://localhost:2379"}, m.ClientURLs, "the local member carries its advertised client URLs")
				} else {
					assert.Empty(t, m.ClientURLs, "other members publish their client URLs later, as in etcd")
				}
			}
			require.Equal(t, wantIDs, got, "member IDs should be real etcd's")
			require.Less(t, members[0].ID, members[1].ID, "members come sorted by ID")
		})
	}

	cfg := NewConfig()
	cfg.Name, cfg.InitialCluster, cfg.InitialClusterToken = "infra1", initialCluster, "other-token"
	_, clusterID, err := cfg.InitialMembers()
	require.NoError(t, err)
	require.NotEqual(t, "66d3a070bf89b39", fmt.Sprintf("%x", clusterID), "another token should give another cluster")
}

func TestServerConfig(t *testing.T) {
	cfg := NewConfig()
	cfg.Name, cfg.Dir, cfg.TickMs, cfg.ElectionMs = "infra2", "/tmp/x", 50, 500
	cfg.InitialCluster = "infra1=http://127.0.0.1:2380,infra2=http://127.0.0.1:22380"
	cfg.MaxTxnOps = 7
	sc, err := cfg.ServerConfig()
	require.NoError(t, err)
	assert.Equal(t, "infra2", sc.Name)
	assert.Equal(t, "/tmp/x", sc.DataDir)
	assert.Equal(t, uint(50), sc.TickMs)
	assert.Equal(t, 10, sc.ElectionTicks, "500ms / 50ms")
	assert.Equal(t, uint(7), sc.MaxTxnOps)
	assert.Equal(t, int64(2<<30), sc.QuotaBackendBytes, "quota 0 should become etcd's 2 GiB")
	require.Len(t, sc.Members, 2)
	assert.NotNil(t, sc.Logger)
	assert.Equal(t, "/tmp/x/member/wal", cfg.WALDir(), "without --wal-dir the WAL is under the data dir")
	cfg.WalDir = "/wal"
	assert.Equal(t, "/wal", cfg.WALDir())
}

func TestValidateRefuses(t *testing.T) {
	urls := func(s string) []url.URL {
		us, err := ParseURLs(s)
		require.NoError(t, err)
		return us
	}
	tests := []struct {
		name    string
		change  func(*Config)
		wantErr string
	}{
		{"election timeout below 5 heartbeats", func(c *Config) { c.TickMs, c.ElectionMs = 100, 499 },
			"--election-timeout[499ms] should be at least as 5 times as --heartbeat-interval[100ms]"},
		{"zero heartbeat", func(c *Config) { c.TickMs = 0 }, "--heartbeat-interval must be >0 (set to 0ms)"},
		{"zero election timeout", func(c *Config) { c.ElectionMs = 0 }, "--election-timeout must be >0 (set to 0ms)"},
		{"election timeout too long", func(c *Config) { c.TickMs, c.ElectionMs = 1000, 50001 },
			"--election-timeout[50001ms] is too long, and should be set less than 50000ms"},
		{"bad cluster state", func(c *Config) { c.ClusterState = "old" }, `unexpected clusterState "old"`},
		{"listen client URLs without advertised ones", func(c *Config) { c.AdvertiseClientUrls = nil }, "--advertise-client-urls is required when --listen-client-urls is set explicitly"},
		{"a host name to listen on", func(c *Config) { c.ListenPeerUrls = urls("http://example.com:2380") }, "expected IP in URL for binding (http://example.com:2380)"},
		{"https", func(c *Config) { c.ListenClientUrls = urls("https://127.0.0.1:2379") }, `--listen-client-urls "https://127.0.0.1:2379": only http:// URLs are supported`},
		{"advertised URL without host", func(c *Config) { c.AdvertisePeerUrls = urls("http://:2380") },
			`--initial-advertise-peer-urls "http://:2380" must be "host:port" (unexpected empty host (http://:2380))`},
		{"bad log level", func(c *Config) { c.LogLevel = "loud" }, `--log-level "loud": unrecognized level`},
		{"zero max txn ops", func(c *Config) { c.MaxTxnOps = 0 }, "--max-txn-ops must be at least 1"},
		{"zero max request bytes", func(c *Config) { c.MaxRequestBytes = 0 }, "--max-request-bytes must be at least 1"},
		{"zero snapshot count", func(c *Config) { c.SnapshotCount = 0 }, "--snapshot-count must be at least 1"},
		{"initial cluster URL with a path", func(c *Config) { c.InitialCluster = "default=http://localhost:2380/x" },
			"URL must not contain a path: http://localhost:2380/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewConfig()
			tt.change(cfg)
			err := cfg.Validate()
			require.Error(t, err, "Validate should refuse this configuration")
			require.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestVerifyBootstrap(t *testing.T) {
	const three = "infra1=http://127.0.0.1:2380,infra2=http://127.0.0.1:22380,infra3=http://127.0.0.1:32380"
	tests := []struct {
		name, member, cluster, advertise, state, wantErr string
	}{
		{"member of the cluster", "infra2", three, "http://127.0.0.1:22380", "new", ""},
		{"name not in the cluster", "infra4", three, "http://127.0.0.1:42380", "new",
			`couldn't find local name "infra4" in the initial cluster configuration`},
		{"cluster URL not advertised", "infra2", three, "http://127.0.0.1:22381", "new",
			"--initial-cluster has infra2=http://127.0.0.1:22380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:22381"},
		{"advertised URL not in the cluster", "infra2", three, "http://127.0.0.1:22380,http://127.0.0.1:22381", "new",
			"--initial-advertise-peer-urls has http://127.0.0.1:22381 but missing from --initial-cluster=infra2=http://127.0.0.1:22380,infra2=http://127.0.0.1:22381"},
		{"existing cluster does not compare advertised URLs", "infra2", three, "http://127.0.0.1:22381", "existing", ""},
		{"name not in an existing cluster either", "infra4", three, "http://127.0.0.1:22380", "existing",
			`couldn't find local name "infra4" in the initial cluster configuration`},
		{"duplicate URL", "infra1", "infra1=http://127.0.0.1:2380,infra2=http://127.0.0.1:2380", "http://127.0.0.1:2380", "new",
			"has duplicate url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := NewConfig()
			cfg.Name, cfg.InitialCluster, cfg.ClusterState = tt.member, tt.cluster, tt.state
			us, err := ParseURLs(tt.advertise)
			require.NoError(t, err)
			cfg.AdvertisePeerUrls = us
			err = cfg.VerifyBootstrap()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err, "VerifyBootstrap should refuse this initial cluster")
			require.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestParseURLs(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{"http://b:2,http://a:1", "http://a:1,http://b:2", ""},
		{" http://a:1", "http://a:1", ""},
		{"", "", "no valid URLs given"},
		{"http://a", "", `URL address does not have the form "host:port": http://a`},
		{"http://a:1/p", "", "URL must not contain a path: http://a:1/p"},
		{"ftp://a:1", "", "URL scheme must be http, https, unix, or unixs: ftp://a:1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			us, err := ParseURLs(tt.in)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr, "etcd's types.NewURLs message")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, strings.Join(URLStrings(us), ","), "URLs come back sorted, as etcd sorts them")
		})
	}
	m, err := NewURLsMap("a=http://x:1,b=http://y:2,a=http://z:3")
	require.NoError(t, err)
	require.Equal(t, "a=http://x:1,a=http://z:3,b=http://y:2", m.String(), "a name given twice has both URLs")
}

func TestUpdateDefaultClusterFromName(t *testing.T) {
	def := NewConfig().InitialCluster
	cfg := NewConfig()
	cfg.Name = "abc"
	cfg.UpdateDefaultClusterFromName(def)
	require.Equal(t, "abc=http://localhost:2380", cfg.InitialCluster, "--name alone should rename the default one-member cluster")
	cfg.InitialCluster = "x=http://127.0.0.1:1"
	cfg.UpdateDefaultClusterFromName(def)
	require.Equal(t, "x=http://127.0.0.1:1", cfg.InitialCluster, "an explicit --initial-cluster is kept")
}
