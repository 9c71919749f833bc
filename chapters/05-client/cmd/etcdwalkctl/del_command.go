package main

import (
	"fmt"
	"time"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/spf13/cobra"
)

// delOptions are del's flags (etcd's ctlv3/command/del_command.go).
type delOptions struct {
	prefix  bool
	prevKV  bool
	fromKey bool
	isRange bool
}

// rangeDeleteGrace is how long del waits, after warning, before it deletes a [key, range_end)
// given without --range: time to interrupt a range typed by mistake.
var rangeDeleteGrace = 2 * time.Second

func newDelCommand() *cobra.Command {
	return delCommandWith(delCommandFunc)
}

// delCommandWith is del's command with run as what it does (see putCommandWith).
func delCommandWith(run func(cmd *cobra.Command, o *delOptions, args []string)) *cobra.Command {
	o := &delOptions{}
	cmd := &cobra.Command{
		Use:   "del [options] <key> [range_end]",
		Short: "Removes the specified key or range of keys [key, range_end)",
		Run:   func(cmd *cobra.Command, args []string) { run(cmd, o, args) },
	}
	cmd.Flags().BoolVar(&o.prefix, "prefix", false, "delete keys with matching prefix")
	cmd.Flags().BoolVar(&o.prevKV, "prev-kv", false, "return deleted key-value pairs")
	cmd.Flags().BoolVar(&o.fromKey, "from-key", false, "delete keys that are greater than or equal to the given key using byte compare")
	cmd.Flags().BoolVar(&o.isRange, "range", false, "delete range of keys")
	return cmd
}

func delCommandFunc(cmd *cobra.Command, o *delOptions, args []string) {
	key, opts, err := getDelOp(o, args)
	if err != nil {
		exitWithError(ExitBadArgs, err)
	}
	ctx, cancel := commandCtx(cmd)
	cli, display := mustClientFromCmd(cmd)
	defer cli.Close()
	resp, err := cli.Delete(ctx, key, opts...)
	cancel()
	if err != nil {
		exitWithError(ExitError, err)
	}
	display.Del(resp)
}

// getDelOp checks del's arguments and flags and turns them into the key and the options of the
// Delete. It refuses --prefix with --from-key, which clientv3.OpDelete would panic on.
func getDelOp(o *delOptions, args []string) (string, []clientv3.OpOption, error) {
	if len(args) == 0 || len(args) > 2 {
		return "", nil, exitErrf(ExitBadArgs, "del command needs one argument as key and an optional argument as range_end")
	}
	if o.prefix && o.fromKey {
		return "", nil, exitErrf(ExitBadArgs, "`--prefix` and `--from-key` cannot be set at the same time, choose one")
	}

	var opts []clientv3.OpOption
	key := args[0]
	if len(args) > 1 {
		if o.prefix || o.fromKey {
			return "", nil, exitErrf(ExitBadArgs, "too many arguments, only accept one argument when `--prefix` or `--from-key` is set")
		}
		opts = append(opts, clientv3.WithRange(args[1]))
		if !o.isRange {
			fmt.Fprintf(stderr, "Warning: Keys between %q and %q will be deleted. Please interrupt the command within next 2 seconds to cancel. "+
				"You can provide `--range` flag to avoid the delay.\n", args[0], args[1])
			time.Sleep(rangeDeleteGrace)
		}
	}

	if o.prefix {
		if key == "" {
			key = "\x00"
			opts = append(opts, clientv3.WithFromKey())
		} else {
			opts = append(opts, clientv3.WithPrefix())
		}
	}
	if o.prevKV {
		opts = append(opts, clientv3.WithPrevKV())
	}
	if o.fromKey {
		if key == "" {
			key = "\x00"
		}
		opts = append(opts, clientv3.WithFromKey())
	}
	return key, opts, nil
}
