package main

import (
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/spf13/cobra"
)

// newMemberCommand is etcdctl's member (etcd's ctlv3/command/member_command.go). Only list
// runs: the servers of these chapters do not change their membership, and the client has no
// MemberAdd and the rest; the other subcommands are there so that member's help and prefixes
// are etcdctl's.
func newMemberCommand() *cobra.Command {
	mc := &cobra.Command{
		Use:   "member <subcommand>",
		Short: "Membership related commands",
	}
	mc.AddCommand(
		unsupportedCommand("add <memberName> [options]", "Adds a member into the cluster", "member add", noMembershipChange),
		unsupportedCommand("remove <memberID>", "Removes a member from the cluster", "member remove", noMembershipChange),
		unsupportedCommand("update <memberID> [options]", "Updates a member in the cluster", "member update", noMembershipChange),
		newMemberListCommand(),
		unsupportedCommand("promote <memberID>", "Promotes a non-voting member in the cluster", "member promote", noMembershipChange),
	)
	return mc
}

const noMembershipChange = "the servers of these chapters have a fixed membership, and chapter 05's client has MemberList only"

func newMemberListCommand() *cobra.Command {
	var consistency string
	cc := &cobra.Command{
		Use:   "list",
		Short: "Lists all members in the cluster",
		Long: `When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.
The items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.
`,
		Run: func(cmd *cobra.Command, args []string) { memberListCommandFunc(cmd, consistency) },
	}
	cc.Flags().StringVar(&consistency, "consistency", "l", "Linearizable(l) or Serializable(s)")
	return cc
}

func memberListCommandFunc(cmd *cobra.Command, consistency string) {
	var opts []clientv3.OpOption
	serializable, err := isSerializable(consistency, "l")
	if err != nil {
		exitWithError(ExitBadFeature, err)
	}
	if serializable {
		opts = append(opts, clientv3.WithSerializable())
	}
	ctx, cancel := commandCtx(cmd)
	cli, display := mustClientFromCmd(cmd)
	defer cli.Close()
	resp, err := cli.MemberList(ctx, opts...)
	cancel()
	if err != nil {
		exitWithError(ExitError, err)
	}
	display.MemberList(resp)
}
