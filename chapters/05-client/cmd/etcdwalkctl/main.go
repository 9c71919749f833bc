package main

import (
	"time"

	"github.com/spf13/cobra"
)

const (
	cliName        = "etcdwalkctl"
	cliDescription = "A simple command line client for etcd3."

	// version is what the root's help shows: the etcdctl whose commands and output this one
	// mirrors. apiVersion is the etcd API it speaks.
	version    = "3.6.16 (etcdwalk chapter 05)"
	apiVersion = "3.6"

	defaultDialTimeout      = 2 * time.Second
	defaultCommandTimeOut   = 5 * time.Second
	defaultKeepAliveTime    = 2 * time.Second
	defaultKeepAliveTimeOut = 6 * time.Second
)

const rootLong = `etcdwalkctl is etcdctl v3.6's put, get, del, txn, compaction, member list and endpoint
health/status on etcdwalk's chapter 05 client: the same flags, the same ETCDCTL_* environment
variables, the same output and the same errors and exit statuses.
The other commands are listed as etcdctl lists them and refuse to run.`

// etcdctl lets any unambiguous prefix name a command ("etcdctl g foo" is a get, and so is a txn
// line "g foo"); with the same command names here, a prefix resolves to the same command.
func init() { cobra.EnablePrefixMatching = true }

func main() { execute(newRootCommand()) }

func execute(root *cobra.Command) {
	if err := root.Execute(); err != nil {
		// cobra has printed the error (an unknown command or flag); etcdctl exits 1 then.
		exit(ExitError)
	}
}

// newRootCommand is etcdctl's command tree (etcd's ctlv3/ctl.go): the global flags, every
// command etcdctl has, and etcdctl's help.
func newRootCommand() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:        cliName,
		Short:      cliDescription,
		Long:       rootLong,
		SuggestFor: []string{"etcdwalkctl"},
	}
	g.register(root)
	// In etcdctl's order, which is the order cobra suggests commands in.
	root.AddCommand(
		newGetCommand(),
		newPutCommand(),
		newDelCommand(),
		newTxnCommand(),
		newCompactionCommand(),
		unsupportedRootCommand("alarm"),
		unsupportedRootCommand("defrag"),
		newEndpointCommand(),
		unsupportedRootCommand("move-leader"),
		unsupportedRootCommand("watch"),
		newVersionCommand(),
		unsupportedRootCommand("lease"),
		newMemberCommand(),
		unsupportedRootCommand("snapshot"),
		unsupportedRootCommand("make-mirror"),
		unsupportedRootCommand("lock"),
		unsupportedRootCommand("elect"),
		unsupportedRootCommand("auth"),
		unsupportedRootCommand("user"),
		unsupportedRootCommand("role"),
		unsupportedRootCommand("check"),
		newCompletionCommand(),
		unsupportedRootCommand("downgrade"),
	)

	root.SetUsageFunc(usageFunc)
	// --help shows the usage and nothing else: the usage function prints it and returns "".
	root.SetHelpTemplate(`{{.UsageString}}`)
	return root
}
