// Package etcdmain is etcdwalk's command line: etcd's flags and ETCD_* environment variables
// turned into an embed.Config, checked, and handed to the server.
//
// Layer: the binary's front door (chapter 06). Corresponds to etcd v3.6's server/etcdmain:
// main.go (Main), config.go (newConfig, parse, configFromCmdLine: flags, then the environment,
// then Validate), help.go (the usage text) and etcd.go (the "<name>.etcd" default data dir), and
// to pkg/flags (SetFlagsFromEnv, the environment rule: a flag given both as a flag and as its
// ETCD_ variable is refused; URL and selective-string flag values).
//
// etcdwalk acts on a subset of etcd's flags (see embed.Config). Every other flag of etcd v3.6.16
// is still defined, so a script written for etcd never gets "flag provided but not defined" for
// one of them: it gets "flag --X is an etcd flag that etcdwalk does not support" and exit status
// 2, as for any unparsable command line; a flag etcd does not know either gets the flag
// package's usual error. Nothing is started before the whole configuration is valid.
//
// This step ends at validation: Main hands the configuration to startEtcd, which chapter 06's
// next step makes embed.StartEtcd followed by serving until a signal (etcd's startEtcd). Before a
// start, that step calls Config.VerifyBootstrap when the member has no WAL yet (etcd checks
// --initial-cluster only then), and builds the server from Config.ServerConfig().
//
// Left out: --config-file, the grpc-proxy and gateway subcommands, discovery, TLS, and etcd's
// zap logging setup (the logger is log/slog at --log-level).
package etcdmain
