package embed

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/02-kvserver/storage/datadir"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
)

// etcd v3.6's defaults (embed/config.go, etcdserver/server.go), under etcd's names.
const (
	ClusterStateFlagNew      = "new"
	ClusterStateFlagExisting = "existing"

	DefaultName                     = "default"
	DefaultListenPeerURLs           = "http://localhost:2380"
	DefaultListenClientURLs         = "http://localhost:2379"
	DefaultInitialAdvertisePeerURLs = "http://localhost:2380"
	DefaultAdvertiseClientURLs      = "http://localhost:2379"
	DefaultInitialClusterToken      = "etcd-cluster"

	DefaultSnapshotCount          = 10000
	DefaultSnapshotCatchUpEntries = 5000
	DefaultTickMs                 = 100
	DefaultElectionMs             = 1000
	DefaultLogLevel               = "info"

	// DefaultMaxTxnOps and DefaultMaxRequestBytes are chapter 01's, written down once.
	DefaultMaxTxnOps       = config.DefaultMaxTxnOps
	DefaultMaxRequestBytes = config.DefaultMaxRequestBytes

	// maxElectionMs is etcd's upper bound on --election-timeout.
	maxElectionMs = 50000
)

// ErrUnsetAdvertiseClientURLsFlag is etcd's refusal of explicit listen client URLs without
// advertised ones: the default advertise URL (localhost) would be wrong for any other listener.
var ErrUnsetAdvertiseClientURLsFlag = errors.New("--advertise-client-urls is required when --listen-client-urls is set explicitly")

// Config is one member's configuration: the part of etcd's embed.Config that etcdwalk has, with
// etcd's field names, so that code written against etcd's embed reads the same.
type Config struct {
	Name   string `json:"name"`
	Dir    string `json:"data-dir"`
	WalDir string `json:"wal-dir"` // "" means <Dir>/member/wal, as in etcd

	// SnapshotCount is how many applied entries trigger a snapshot; SnapshotCatchUpEntries how many
	// entries raft's log keeps behind a snapshot for slow followers.
	SnapshotCount          uint64 `json:"snapshot-count"`
	SnapshotCatchUpEntries uint64 `json:"snapshot-catchup-entries"`

	// TickMs is --heartbeat-interval, ElectionMs --election-timeout, both in milliseconds.
	TickMs     uint `json:"heartbeat-interval"`
	ElectionMs uint `json:"election-timeout"`

	// Limits holds MaxTxnOps, MaxRequestBytes and QuotaBackendBytes (0: the 2 GiB default,
	// negative: none), chapter 01's fields under etcd's names.
	config.Limits

	ListenPeerUrls      []url.URL
	ListenClientUrls    []url.URL
	AdvertisePeerUrls   []url.URL
	AdvertiseClientUrls []url.URL

	// ClusterState is "new" or "existing"; it only matters when the member has no WAL yet.
	ClusterState        string `json:"initial-cluster-state"`
	InitialCluster      string `json:"initial-cluster"`
	InitialClusterToken string `json:"initial-cluster-token"`

	LogLevel string `json:"log-level"`
	// Logger, if set, is where the member logs, whatever LogLevel says (etcd's embed.Config.Logger,
	// for a program that embeds a member). nil: text on standard error, at LogLevel.
	Logger *slog.Logger `json:"-"`
}

// NewConfig returns a Config with etcd's defaults: a one-member cluster named "default" on
// localhost. Dir is left empty, as in etcd: etcdmain makes it "<name>.etcd".
func NewConfig() *Config {
	cfg := &Config{
		Name:                   DefaultName,
		SnapshotCount:          DefaultSnapshotCount,
		SnapshotCatchUpEntries: DefaultSnapshotCatchUpEntries,
		TickMs:                 DefaultTickMs,
		ElectionMs:             DefaultElectionMs,
		Limits:                 config.Limits{MaxTxnOps: DefaultMaxTxnOps, MaxRequestBytes: DefaultMaxRequestBytes},
		ListenPeerUrls:         mustURLs(DefaultListenPeerURLs),
		ListenClientUrls:       mustURLs(DefaultListenClientURLs),
		AdvertisePeerUrls:      mustURLs(DefaultInitialAdvertisePeerURLs),
		AdvertiseClientUrls:    mustURLs(DefaultAdvertiseClientURLs),
		ClusterState:           ClusterStateFlagNew,
		InitialClusterToken:    DefaultInitialClusterToken,
		LogLevel:               DefaultLogLevel,
	}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	return cfg
}

func mustURLs(s string) []url.URL {
	us, err := ParseURLs(s)
	if err != nil {
		panic(err)
	}
	return us
}

// ParseURLs parses a comma-separated list of URLs as etcd's URL flags take them (etcd's
// types.NewURLs, with its error texts), sorted as etcd sorts them. It accepts https, as etcd's
// flags do; Validate then refuses it, since etcdwalk has no TLS.
func ParseURLs(s string) ([]url.URL, error) {
	if s == "" {
		return nil, errors.New("no valid URLs given")
	}
	var us []url.URL
	for _, in := range strings.Split(s, ",") {
		in = strings.TrimSpace(in)
		u, err := url.Parse(in)
		if err != nil {
			return nil, err
		}
		switch u.Scheme {
		case "http", "https":
			if _, _, err := net.SplitHostPort(u.Host); err != nil {
				return nil, fmt.Errorf(`URL address does not have the form "host:port": %s`, in)
			}
			if u.Path != "" {
				return nil, fmt.Errorf("URL must not contain a path: %s", in)
			}
		case "unix", "unixs":
		default:
			return nil, fmt.Errorf("URL scheme must be http, https, unix, or unixs: %s", in)
		}
		us = append(us, *u)
	}
	slices.SortFunc(us, func(a, b url.URL) int { return strings.Compare(a.String(), b.String()) })
	return us, nil
}

// URLStrings returns us as strings, the form chapter 01's membership keeps.
func URLStrings(us []url.URL) []string {
	ss := make([]string, len(us))
	for i := range us {
		ss[i] = us[i].String()
	}
	return ss
}

// URLsMap is the initial cluster: each member's name to its peer URLs (etcd's types.URLsMap).
type URLsMap map[string][]url.URL

// NewURLsMap parses "name=url,name=url,..." as etcd's --initial-cluster takes it; a name given
// twice has several peer URLs.
func NewURLsMap(s string) (URLsMap, error) {
	byName := map[string][]string{}
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		name, u, _ := strings.Cut(kv, "=")
		byName[name] = append(byName[name], u)
	}
	m := URLsMap{}
	for name, us := range byName {
		parsed, err := ParseURLs(strings.Join(us, ","))
		if err != nil {
			return nil, err
		}
		m[name] = parsed
	}
	return m, nil
}

// String is the map in --initial-cluster's form, sorted as etcd prints it.
func (m URLsMap) String() string {
	var pairs []string
	for name, us := range m {
		for _, u := range us {
			pairs = append(pairs, name+"="+u.String())
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}

// Validate checks the configuration as etcd's Config.Validate does, with etcd's messages where
// etcd has one. It does not look at --initial-cluster's members: that is VerifyBootstrap's job,
// and only for a member without a WAL, because etcd ignores the flag on a restart.
func (cfg *Config) Validate() error {
	if _, err := parseLogLevel(cfg.LogLevel); err != nil {
		return err
	}
	for _, c := range []struct {
		flag string
		urls []url.URL
		bind bool
	}{
		{"--listen-peer-urls", cfg.ListenPeerUrls, true},
		{"--listen-client-urls", cfg.ListenClientUrls, true},
		{"--initial-advertise-peer-urls", cfg.AdvertisePeerUrls, false},
		{"--advertise-client-urls", cfg.AdvertiseClientUrls, false},
	} {
		if err := checkHTTPURLs(c.flag, c.urls); err != nil {
			return err
		}
		check := checkHostURLs
		if c.bind {
			check = checkBindURLs
		}
		if err := check(c.urls); err != nil {
			if c.bind {
				return err
			}
			return fmt.Errorf(`%s %q must be "host:port" (%w)`, c.flag, strings.Join(URLStrings(c.urls), ","), err)
		}
	}
	if cfg.ClusterState != ClusterStateFlagNew && cfg.ClusterState != ClusterStateFlagExisting {
		return fmt.Errorf("unexpected clusterState %q", cfg.ClusterState)
	}
	if cfg.TickMs == 0 {
		return fmt.Errorf("--heartbeat-interval must be >0 (set to %dms)", cfg.TickMs)
	}
	if cfg.ElectionMs == 0 {
		return fmt.Errorf("--election-timeout must be >0 (set to %dms)", cfg.ElectionMs)
	}
	if 5*cfg.TickMs > cfg.ElectionMs {
		return fmt.Errorf("--election-timeout[%vms] should be at least as 5 times as --heartbeat-interval[%vms]", cfg.ElectionMs, cfg.TickMs)
	}
	if cfg.ElectionMs > maxElectionMs {
		return fmt.Errorf("--election-timeout[%vms] is too long, and should be set less than %vms", cfg.ElectionMs, maxElectionMs)
	}
	if cfg.ListenClientUrls != nil && cfg.AdvertiseClientUrls == nil {
		return ErrUnsetAdvertiseClientURLsFlag
	}
	// etcd takes these as they are; etcdwalk refuses the values that would refuse every request
	// or never compact, rather than start a member that cannot serve.
	if cfg.MaxTxnOps == 0 {
		return errors.New("--max-txn-ops must be at least 1")
	}
	if cfg.MaxRequestBytes == 0 {
		return errors.New("--max-request-bytes must be at least 1")
	}
	if cfg.SnapshotCount == 0 {
		return errors.New("--snapshot-count must be at least 1")
	}
	if _, _, err := cfg.PeerURLsMapAndToken("etcd"); err != nil {
		return fmt.Errorf("--initial-cluster %q: %w", cfg.InitialCluster, err)
	}
	return nil
}

// checkHTTPURLs refuses what etcd's flags accept but etcdwalk cannot serve: TLS and unix sockets.
func checkHTTPURLs(flag string, urls []url.URL) error {
	for _, u := range urls {
		if u.Scheme != "http" {
			return fmt.Errorf("%s %q: only http:// URLs are supported (etcdwalk has no TLS and no unix sockets)", flag, u.String())
		}
	}
	return nil
}

// checkBindURLs is etcd's: a listen URL names an IP (or localhost), never another host name.
func checkBindURLs(urls []url.URL) error {
	for _, u := range urls {
		host, _, err := net.SplitHostPort(u.Host)
		if err != nil {
			return err
		}
		if host == "localhost" {
			continue
		}
		if net.ParseIP(host) == nil {
			return fmt.Errorf("expected IP in URL for binding (%s)", u.String())
		}
	}
	return nil
}

// checkHostURLs is etcd's: an advertised URL has a host.
func checkHostURLs(urls []url.URL) error {
	for _, u := range urls {
		host, _, err := net.SplitHostPort(u.Host)
		if err != nil {
			return err
		}
		if host == "" {
			return fmt.Errorf("unexpected empty host (%s)", u.String())
		}
	}
	return nil
}

// PeerURLsMapAndToken returns the initial cluster and the token its IDs are computed with. etcd
// also takes them from discovery or DNS (which picks the map by which); etcdwalk has only the
// static --initial-cluster.
func (cfg *Config) PeerURLsMapAndToken(which string) (URLsMap, string, error) {
	m, err := NewURLsMap(cfg.InitialCluster)
	return m, cfg.InitialClusterToken, err
}

// InitialClusterFromName is the one-member cluster of name at the advertised peer URLs: the
// default --initial-cluster, "default=http://localhost:2380".
func (cfg *Config) InitialClusterFromName(name string) string {
	if name == "" {
		name = DefaultName
	}
	var pairs []string
	for _, u := range cfg.AdvertisePeerUrls {
		pairs = append(pairs, name+"="+u.String())
	}
	return strings.Join(pairs, ",")
}

// UpdateDefaultClusterFromName makes `etcd --name abc` a one-member cluster named abc: when only
// the name changed, the default --initial-cluster (which names "default") follows it. etcd also
// puts the machine's host name into URLs that listen on 0.0.0.0; etcdwalk does not.
func (cfg *Config) UpdateDefaultClusterFromName(defaultInitialCluster string) {
	if cfg.Name != DefaultName && cfg.InitialCluster == defaultInitialCluster {
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	}
}

// IsNewCluster says whether --initial-cluster-state is "new".
func (cfg *Config) IsNewCluster() bool { return cfg.ClusterState == ClusterStateFlagNew }

// ElectionTicks is the election timeout in heartbeats, as raft counts it.
func (cfg *Config) ElectionTicks() int { return int(cfg.ElectionMs / cfg.TickMs) }

// WALDir is where the member's WAL lives: --wal-dir, or <data-dir>/member/wal.
func (cfg *Config) WALDir() string {
	if cfg.WalDir != "" {
		return cfg.WalDir
	}
	return datadir.ToWALDir(cfg.Dir)
}

// VerifyBootstrap checks the initial cluster for a member that starts without a WAL, as etcd's
// ServerConfig.VerifyBootstrap (new cluster) and VerifyJoinExisting (existing) do: the cluster
// names this member, has no URL twice, and, for a new cluster, lists exactly this member's
// --initial-advertise-peer-urls.
func (cfg *Config) VerifyBootstrap() error {
	m, _, err := cfg.PeerURLsMapAndToken("etcd")
	if err != nil {
		return err
	}
	local, ok := m[cfg.Name]
	if !ok {
		return fmt.Errorf("couldn't find local name %q in the initial cluster configuration", cfg.Name)
	}
	if cfg.IsNewCluster() {
		if err := advertiseMatchesCluster(cfg.Name, local, cfg.AdvertisePeerUrls); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, us := range m {
		for _, u := range us {
			if seen[u.String()] {
				return fmt.Errorf("initial cluster %s has duplicate url", m)
			}
			seen[u.String()] = true
		}
	}
	if len(m) == 0 {
		return errors.New("initial cluster unset and no discovery URL found")
	}
	return nil
}

// advertiseMatchesCluster is etcd's check that the member's --initial-cluster entry and its
// --initial-advertise-peer-urls are the same URLs. etcd also resolves host names to compare
// them; etcdwalk compares the URLs as written.
func advertiseMatchesCluster(name string, inCluster, advertised []url.URL) error {
	cl, ap := URLStrings(inCluster), URLStrings(advertised)
	slices.Sort(cl)
	slices.Sort(ap)
	if slices.Equal(cl, ap) {
		return nil
	}
	var missing []string
	for _, u := range cl {
		if !slices.Contains(ap, u) {
			missing = append(missing, name+"="+u)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("--initial-cluster has %s but missing from --initial-advertise-peer-urls=%s", strings.Join(missing, ","), strings.Join(ap, ","))
	}
	for _, u := range ap {
		if !slices.Contains(cl, u) {
			missing = append(missing, u)
		}
	}
	return fmt.Errorf("--initial-advertise-peer-urls has %s but missing from --initial-cluster=%s", strings.Join(missing, ","), URLsMap{name: advertised})
}

// InitialMembers are the members of --initial-cluster with their IDs computed from their peer
// URLs and --initial-cluster-token, as etcd's NewClusterFromURLsMap does, sorted by ID; the
// local member also carries its advertised client URLs (the others publish theirs later). The
// cluster ID follows from the member IDs.
func (cfg *Config) InitialMembers() (members []membership.Member, clusterID uint64, err error) {
	m, token, err := cfg.PeerURLsMapAndToken("etcd")
	if err != nil {
		return nil, 0, err
	}
	ids := make([]uint64, 0, len(m))
	for name, us := range m {
		var clientURLs []string
		if name == cfg.Name {
			clientURLs = URLStrings(cfg.AdvertiseClientUrls)
		}
		mb := membership.NewMember(name, URLStrings(us), token, clientURLs)
		members = append(members, mb)
		ids = append(ids, mb.ID)
	}
	membership.Sort(members)
	return members, membership.ComputeClusterID(ids), nil
}

// ServerConfig is the configuration chapter 03's EtcdServer takes, derived from cfg: the
// initial cluster's members with etcd's IDs, the timing in ticks, the limits, and a logger at
// --log-level. Call Validate first.
func (cfg *Config) ServerConfig() (etcdserver.ServerConfig, error) {
	members, _, err := cfg.InitialMembers()
	if err != nil {
		return etcdserver.ServerConfig{}, err
	}
	level, err := parseLogLevel(cfg.LogLevel)
	if err != nil {
		return etcdserver.ServerConfig{}, err
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(logOutput, &slog.HandlerOptions{Level: level}))
	}
	return etcdserver.ServerConfig{
		Name:          cfg.Name,
		DataDir:       cfg.Dir,
		Members:       members,
		TickMs:        cfg.TickMs,
		ElectionTicks: cfg.ElectionTicks(),
		Limits:        cfg.Limits.WithDefaults(),
		Logger:        lg,
	}, nil
}

// parseLogLevel maps etcd's (zap's) level names onto slog's; the levels above error, which
// etcd uses to crash, log as errors.
func parseLogLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error", "dpanic", "panic", "fatal":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level %q: unrecognized level (etcd's are debug, info, warn, error, panic and fatal)", s)
}

// logOutput is where ServerConfig's logger writes: standard error, as etcd's default
// --log-outputs.
var logOutput io.Writer = os.Stderr
