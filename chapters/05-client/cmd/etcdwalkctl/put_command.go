package main

import (
	"strconv"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/spf13/cobra"
)

// putOptions are put's flags (etcd's ctlv3/command/put_command.go).
type putOptions struct {
	lease       string
	prevKV      bool
	ignoreValue bool
	ignoreLease bool
}

const putLong = `
Puts the given key into the store.

When <value> begins with '-', <value> is interpreted as a flag.
Insert '--' for workaround:

$ put <key> -- <value>
$ put -- <key> <value>

If <value> isn't given as a command line argument and '--ignore-value' is not specified,
this command tries to read the value from standard input.

If <lease> isn't given as a command line argument and '--ignore-lease' is not specified,
this command tries to read the value from standard input.

For example,
$ cat file | put <key>
will store the content of the file to <key>.
`

func newPutCommand() *cobra.Command {
	return putCommandWith(putCommandFunc)
}

// putCommandWith is put's command with run as what it does: the command line's put sends the
// request, a txn line's put only builds the Op.
func putCommandWith(run func(cmd *cobra.Command, o *putOptions, args []string)) *cobra.Command {
	o := &putOptions{}
	cmd := &cobra.Command{
		Use:   "put [options] <key> <value> (<value> can also be given from stdin)",
		Short: "Puts the given key into the store",
		Long:  putLong,
		Run:   func(cmd *cobra.Command, args []string) { run(cmd, o, args) },
	}
	cmd.Flags().StringVar(&o.lease, "lease", "0", "lease ID (in hexadecimal) to attach to the key")
	cmd.Flags().BoolVar(&o.prevKV, "prev-kv", false, "return the previous key-value pair before modification")
	cmd.Flags().BoolVar(&o.ignoreValue, "ignore-value", false, "updates the key using its current value")
	cmd.Flags().BoolVar(&o.ignoreLease, "ignore-lease", false, "updates the key using its current lease")
	return cmd
}

func putCommandFunc(cmd *cobra.Command, o *putOptions, args []string) {
	key, value, opts, err := getPutOp(o, args)
	if err != nil {
		exitWithError(ExitBadArgs, err)
	}
	ctx, cancel := commandCtx(cmd)
	cli, display := mustClientFromCmd(cmd)
	defer cli.Close()
	resp, err := cli.Put(ctx, key, value, opts...)
	cancel()
	if err != nil {
		exitWithError(ExitError, err)
	}
	display.Put(resp)
}

// getPutOp checks put's arguments and flags and turns them into the key, the value and the
// options of the Put; without a value argument, the value is all of stdin.
func getPutOp(o *putOptions, args []string) (string, string, []clientv3.OpOption, error) {
	if len(args) == 0 {
		return "", "", nil, exitErrf(ExitBadArgs, "put command needs 1 argument and input from stdin or 2 arguments")
	}
	key := args[0]
	if o.ignoreValue && len(args) > 1 {
		return "", "", nil, exitErrf(ExitBadArgs, "put command needs only 1 argument when 'ignore-value' is set")
	}
	var value string
	if !o.ignoreValue {
		var err error
		if value, err = argOrStdin(args, stdin, 1); err != nil {
			return "", "", nil, exitErrf(ExitBadArgs, "put command needs 1 argument and input from stdin or 2 arguments")
		}
	}
	id, err := strconv.ParseInt(o.lease, 16, 64)
	if err != nil {
		return "", "", nil, exitErrf(ExitBadArgs, "bad lease ID (%w), expecting ID in Hex", err)
	}

	var opts []clientv3.OpOption
	if id != 0 {
		opts = append(opts, clientv3.WithLease(clientv3.LeaseID(id)))
	}
	if o.prevKV {
		opts = append(opts, clientv3.WithPrevKV())
	}
	if o.ignoreValue {
		opts = append(opts, clientv3.WithIgnoreValue())
	}
	if o.ignoreLease {
		opts = append(opts, clientv3.WithIgnoreLease())
	}
	return key, value, opts, nil
}
