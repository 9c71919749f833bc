package etcdmain

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/06-server/embed"
)

// config is the command line's view of a member: the embed.Config it fills, and what only the
// command line has (etcd's etcdmain config).
type config struct {
	ec           embed.Config
	fs           *flag.FlagSet
	limits       *serve.Limits
	clusterState *selectiveString
	printVersion bool

	// unsupported collects the etcd flags etcdwalk lacks, in the order they were set, with where
	// each came from (the flag or its environment variable).
	unsupported []string
	// ignored collects the ignored flags that were set, for the warning.
	ignored []string
}

func newConfig(stderr io.Writer) *config {
	cfg := &config{ec: *embed.NewConfig(), clusterState: &selectiveString{v: embed.ClusterStateFlagNew, valid: []string{embed.ClusterStateFlagNew, embed.ClusterStateFlagExisting}}}
	fs := flag.NewFlagSet("etcdwalk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// run prints the usage itself: on --help to standard output, after a bad flag to stderr.
	fs.Usage = func() {}
	cfg.fs = fs
	ec := &cfg.ec

	// etcd's flag names, defaults and help texts (embed.Config.AddFlags, etcdmain newConfig).
	fs.StringVar(&ec.Name, "name", ec.Name, "Human-readable name for this member.")
	fs.StringVar(&ec.Dir, "data-dir", ec.Dir, "Path to the data directory.")
	fs.StringVar(&ec.WalDir, "wal-dir", ec.WalDir, "Path to the dedicated wal directory.")
	fs.Var(&urlsValue{&ec.ListenPeerUrls}, "listen-peer-urls", "List of URLs to listen on for peer traffic.")
	fs.Var(&urlsValue{&ec.ListenClientUrls}, "listen-client-urls", "List of URLs to listen on for client grpc traffic and http as long as --listen-client-http-urls is not specified.")
	fs.Var(&urlsValue{&ec.AdvertisePeerUrls}, "initial-advertise-peer-urls", "List of this member's peer URLs to advertise to the rest of the cluster.")
	fs.Var(&urlsValue{&ec.AdvertiseClientUrls}, "advertise-client-urls", "List of this member's client URLs to advertise to the public.")
	fs.StringVar(&ec.InitialCluster, "initial-cluster", ec.InitialCluster, "Initial cluster configuration for bootstrapping.")
	fs.Var(cfg.clusterState, "initial-cluster-state", "Initial cluster state ('new' when bootstrapping a new cluster or 'existing' when adding new members to an existing cluster). After successful initialization (bootstrapping or adding), flag is ignored on restarts.")
	fs.StringVar(&ec.InitialClusterToken, "initial-cluster-token", ec.InitialClusterToken, "Initial cluster token for the etcd cluster during bootstrap.")
	fs.Uint64Var(&ec.SnapshotCount, "snapshot-count", ec.SnapshotCount, "Number of committed transactions to trigger a snapshot.")
	fs.Uint64Var(&ec.SnapshotCatchUpEntries, "snapshot-catchup-entries", ec.SnapshotCatchUpEntries, "Number of entries for a slow follower to catch up after compacting the raft storage entries.")
	fs.UintVar(&ec.TickMs, "heartbeat-interval", ec.TickMs, "Time (in milliseconds) of a heartbeat interval.")
	fs.UintVar(&ec.ElectionMs, "election-timeout", ec.ElectionMs, "Time (in milliseconds) for an election to timeout.")
	// Chapter 01's limit flags, the same three every chapter's server has.
	cfg.limits = serve.LimitFlags(fs)
	fs.StringVar(&ec.LogLevel, "log-level", ec.LogLevel, "Configures log level. Only supports debug, info, warn, error, panic, or fatal. Default 'info'.")
	fs.BoolVar(&cfg.printVersion, "version", false, "Print the version and exit.")

	for name, isBool := range unsupportedFlags {
		fs.Var(&recordedFlag{name: name, isBool: isBool, into: &cfg.unsupported}, name, "an etcd flag that etcdwalk does not support")
	}
	for _, name := range ignoredFlags {
		fs.Var(&recordedFlag{name: name, isBool: true, into: &cfg.ignored}, name, "ignored, as etcd ignores it")
	}
	return cfg
}

// parse fills cfg from args, then from the ETCD_* variables of environ, as etcd's
// configFromCmdLine does, and validates the result. An error wrapping errUsage means the
// command line itself is wrong (exit status 2, as flag errors in etcd).
func (cfg *config) parse(args, environ []string, stderr io.Writer) error {
	if err := cfg.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err, true}
	}
	if cfg.fs.NArg() != 0 {
		return usageError{error: fmt.Errorf("%q is not a valid flag", cfg.fs.Arg(0))}
	}
	if cfg.printVersion {
		return nil
	}
	fromFlags := len(cfg.unsupported)
	if err := setFlagsFromEnv(cfg.fs, "ETCD", environ, stderr); err != nil {
		return usageError{error: err}
	}
	if len(cfg.unsupported) > 0 {
		var errs []error
		for i, name := range cfg.unsupported {
			if i < fromFlags {
				errs = append(errs, fmt.Errorf("flag --%s is an etcd flag that etcdwalk does not support", name))
			} else {
				errs = append(errs, fmt.Errorf("environment variable %s sets --%s, an etcd flag that etcdwalk does not support", flagToEnv("ETCD", name), name))
			}
		}
		return usageError{error: errors.Join(errs...)}
	}
	for _, name := range cfg.ignored {
		fmt.Fprintf(stderr, "etcdwalk: flag --%s is no longer supported by etcd - ignoring\n", name)
	}

	ec := &cfg.ec
	ec.Limits = cfg.limits.Limits
	ec.ClusterState = cfg.clusterState.v
	// As etcd: explicit listen client URLs need explicit advertised ones (Validate says so).
	if isSet(cfg.fs, "listen-client-urls") && !isSet(cfg.fs, "advertise-client-urls") {
		ec.AdvertiseClientUrls = nil
	}
	// `--name abc` alone is a one-member cluster named abc (etcd's UpdateDefaultClusterFromName).
	ec.UpdateDefaultClusterFromName(embed.NewConfig().InitialCluster)
	if ec.Dir == "" {
		ec.Dir = ec.Name + ".etcd"
	}
	return ec.Validate()
}

// usageError is a mistake in the command line or the environment, as opposed to a configuration
// that parses but is refused.
type usageError struct {
	error
	parsed bool // the flag package has printed it already
}

func (e usageError) Unwrap() error { return e.error }

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// flagToEnv is etcd's flags.FlagToEnv: some-flag is ETCD_SOME_FLAG.
func flagToEnv(prefix, name string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// setFlagsFromEnv is etcd's flags.SetFlagsFromEnv: every flag not given on the command line
// takes its environment variable's value when that is not empty. A flag given both ways is
// refused (etcd exits with "conflicting environment variable is shadowed by corresponding
// command-line flag"), and an ETCD_ variable that names no flag gets a warning.
func setFlagsFromEnv(fs *flag.FlagSet, prefix string, environ []string, stderr io.Writer) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[flagToEnv(prefix, f.Name)] = true })

	known := map[string]bool{}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		key := flagToEnv(prefix, f.Name)
		known[key] = true
		v := env[key]
		if err != nil || v == "" {
			return
		}
		if f.Name == "version" {
			// etcd refuses to let the environment turn a start into a version print.
			fmt.Fprintf(stderr, "etcdwalk: cannot set special environment variable %s\n", key)
			return
		}
		if onCommandLine[key] {
			err = fmt.Errorf("conflicting environment variable %s is shadowed by corresponding command-line flag --%s (either unset environment variable or disable flag)", key, f.Name)
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("invalid value %q for %s: %w", v, key, serr)
		}
	})
	if err != nil {
		return err
	}
	var unknown []string
	for k := range env {
		if strings.HasPrefix(k, prefix+"_") && !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		fmt.Fprintf(stderr, "etcdwalk: unrecognized environment variable %s\n", k)
	}
	return nil
}

// urlsValue is a flag of comma-separated URLs, checked as etcd's URL flags check them.
type urlsValue struct{ urls *[]url.URL }

func (v *urlsValue) Set(s string) error {
	us, err := embed.ParseURLs(s)
	if err != nil {
		return err
	}
	*v.urls = us
	return nil
}

func (v *urlsValue) String() string {
	if v == nil || v.urls == nil {
		return ""
	}
	return strings.Join(embed.URLStrings(*v.urls), ",")
}

// selectiveString is a flag that takes one of a few values (etcd's flags.SelectiveStringValue).
type selectiveString struct {
	v     string
	valid []string
}

func (s *selectiveString) Set(v string) error {
	if !slices.Contains(s.valid, v) {
		return fmt.Errorf("invalid value %q (valid values are %s)", v, strings.Join(s.valid, ", "))
	}
	s.v = v
	return nil
}

func (s *selectiveString) String() string {
	if s == nil {
		return ""
	}
	return s.v
}

// recordedFlag stands for an etcd flag etcdwalk does not act on: setting it only records its
// name. Boolean ones take no value, so that `--enable-pprof --name x` still parses --name.
type recordedFlag struct {
	name   string
	isBool bool
	into   *[]string
}

func (f *recordedFlag) Set(string) error {
	*f.into = append(*f.into, f.name)
	return nil
}

func (f *recordedFlag) String() string   { return "" }
func (f *recordedFlag) IsBoolFlag() bool { return f.isBool }
