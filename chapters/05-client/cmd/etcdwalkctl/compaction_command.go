package main

import (
	"errors"
	"fmt"
	"strconv"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/spf13/cobra"
)

// newCompactionCommand is etcdctl's compaction (etcd's ctlv3/command/compaction_command.go).
func newCompactionCommand() *cobra.Command {
	var physical bool
	cmd := &cobra.Command{
		Use:   "compaction [options] <revision>",
		Short: "Compacts the event history in etcd",
		Run:   func(cmd *cobra.Command, args []string) { compactionCommandFunc(cmd, physical, args) },
	}
	cmd.Flags().BoolVar(&physical, "physical", false, "'true' to wait for compaction to physically remove all old revisions")
	return cmd
}

func compactionCommandFunc(cmd *cobra.Command, physical bool, args []string) {
	if len(args) != 1 {
		exitWithError(ExitBadArgs, errors.New("compaction command needs 1 argument"))
	}
	// etcdctl gives a revision that is not a number the status of a failed request.
	rev, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		exitWithError(ExitError, err)
	}
	var opts []clientv3.CompactOption
	if physical {
		opts = append(opts, clientv3.WithCompactPhysical())
	}

	cli, _ := mustClientFromCmd(cmd)
	defer cli.Close()
	ctx, cancel := commandCtx(cmd)
	_, err = cli.Compact(ctx, rev, opts...)
	cancel()
	if err != nil {
		exitWithError(ExitError, err)
	}
	fmt.Fprintln(stdout, "compacted revision", rev)
}
