package etcdmain

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"syscall"

	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3rpc"
	"etcdwalk/chapters/06-server/embed"
)

// startEtcd starts the member once its configuration is valid, and serves until SIGINT or
// SIGTERM, or until a listener fails (etcd's startEtcd and the wait in etcdmain.startEtcdOrProxy).
var startEtcd = func(cfg *embed.Config) error {
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
		return nil
	case err := <-e.Err():
		return err
	}
}

// Main runs etcdwalk with args (without the program name) and returns its exit status: 0 after
// --help, --version or a clean stop, 2 for a command line it cannot parse (an unknown flag, an
// etcd flag it does not support, a bad value), 1 for a configuration it refuses or a failed
// start. It is etcd's etcdmain.Main, which exits where this returns.
func Main(args []string) int {
	return run(args, os.Environ(), os.Stdout, os.Stderr, startEtcd)
}

func run(args, environ []string, stdout, stderr io.Writer, start func(*embed.Config) error) int {
	cfg := newConfig(stderr)
	err := cfg.parse(args, environ, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		// etcd prints its help on standard output and exits 0.
		cfg.fs.SetOutput(stdout)
		fmt.Fprint(stdout, usageline)
		fmt.Fprintln(stdout, "\nFlags:")
		printSupported(cfg.fs)
		return 0
	case err != nil:
		var ue usageError
		if errors.As(err, &ue) {
			// The flag package has already said what was wrong with a flag it could not parse.
			if ue.parsed {
				fmt.Fprint(stderr, usageline)
			} else {
				fmt.Fprintf(stderr, "etcdwalk: %v\n", err)
			}
			return 2
		}
		fmt.Fprintf(stderr, "etcdwalk: %v\n", err)
		return 1
	case cfg.printVersion:
		printVersion(stdout)
		return 0
	}
	if err := start(&cfg.ec); err != nil {
		fmt.Fprintf(stderr, "etcdwalk: %v\n", err)
		return 1
	}
	return 0
}

// printSupported prints the flags etcdwalk acts on, not the etcd flags it only refuses.
func printSupported(fs *flag.FlagSet) {
	sub := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	sub.SetOutput(fs.Output())
	fs.VisitAll(func(f *flag.Flag) {
		if _, etcdOnly := unsupportedFlags[f.Name]; etcdOnly || isIgnored(f.Name) {
			return
		}
		sub.Var(f.Value, f.Name, f.Usage)
		sub.Lookup(f.Name).DefValue = f.DefValue
	})
	sub.PrintDefaults()
	fmt.Fprintln(fs.Output(), "\netcd's other flags are recognised and refused by name; ETCD_<FLAG> environment variables set flags as in etcd.")
}

func isIgnored(name string) bool { return slices.Contains(ignoredFlags, name) }

// printVersion prints etcd's four version lines; the version is the one etcdwalk's members
// report to clients (Status), and Git SHA the commit the binary was built from, when Go knows it.
func printVersion(w io.Writer) {
	sha := "Not provided"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				sha = s.Value
			}
		}
	}
	fmt.Fprintf(w, "etcd Version: %s\n", v3rpc.Version)
	fmt.Fprintf(w, "Git SHA: %s\n", sha)
	fmt.Fprintf(w, "Go Version: %s\n", runtime.Version())
	fmt.Fprintf(w, "Go OS/Arch: %s/%s\n", runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, "(etcdwalk, chapter 06: a teaching rebuild of etcd's request path)")
}

const usageline = `Usage:

  etcdwalk [flags]
    Start an etcdwalk member, with etcd's flags.

  etcdwalk --version
    Show the version of etcd that etcdwalk speaks as.

  etcdwalk -h | --help
    Show the help information about etcdwalk.
`
