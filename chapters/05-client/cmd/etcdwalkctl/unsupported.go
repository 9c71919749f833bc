package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Why the commands of etcdctl that etcdwalkctl only names do not run.
const (
	noLease = "the servers of these chapters serve no Lease API"
	noWatch = "the servers of these chapters serve no Watch API"
	noAuth  = "the servers of these chapters serve no Auth API"
	noLock  = "locks and elections are built on leases, which the servers of these chapters do not serve"
	notHere = "chapter 05's client does not have it"
	noMaint = "chapter 05's client has no such Maintenance call"
	noCheck = "it is built on the Watch and Lease APIs, which the servers of these chapters do not serve"
)

// unsupportedRoot are etcdctl's commands that etcdwalkctl does not run, with etcdctl's Use and
// Short: the root's help lists the same commands, and a prefix or a misspelt name resolves or is
// suggested as with etcdctl.
var unsupportedRoot = map[string]struct{ use, short, why string }{
	"alarm":       {"alarm <subcommand>", "Alarm related commands", notHere},
	"defrag":      {"defrag", "Defragments the storage of the etcd members with given endpoints", notHere},
	"move-leader": {"move-leader <transferee-member-id>", "Transfers leadership to another etcd cluster member.", noMaint},
	"watch":       {"watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]", "Watches events stream on keys or prefixes", noWatch},
	"lease":       {"lease <subcommand>", "Lease related commands", noLease},
	"snapshot":    {"snapshot <subcommand>", "Manages etcd node snapshots", noMaint},
	"make-mirror": {"make-mirror [options] <destination>", "Makes a mirror at the destination etcd cluster", noWatch},
	"lock":        {"lock <lockname> [exec-command arg1 arg2 ...]", "Acquires a named lock", noLock},
	"elect":       {"elect <election-name> [proposal]", "Observes and participates in leader election", noLock},
	"auth":        {"auth <enable or disable>", "Enable or disable authentication", noAuth},
	"user":        {"user <subcommand>", "User related commands", noAuth},
	"role":        {"role <subcommand>", "Role related commands", noAuth},
	"check":       {"check <subcommand>", "commands for checking properties of the etcd cluster", noCheck},
	"downgrade":   {"downgrade <TARGET_VERSION>", "Downgrade related commands", noMaint},
}

func unsupportedRootCommand(name string) *cobra.Command {
	c, ok := unsupportedRoot[name]
	if !ok {
		panic("etcdctl has no command " + name)
	}
	return unsupportedCommand(c.use, c.short, name, c.why)
}

// unsupportedCommand is a command etcdctl has that etcdwalkctl only names. It takes any
// arguments and flags and refuses to run, with the reason.
func unsupportedCommand(use, short, name, why string) *cobra.Command {
	return &cobra.Command{
		Use:                use,
		Short:              short,
		DisableFlagParsing: true,
		Run: func(*cobra.Command, []string) {
			exitWithError(ExitError, fmt.Errorf("etcdwalkctl does not support %q: %s", name, why))
		},
	}
}
