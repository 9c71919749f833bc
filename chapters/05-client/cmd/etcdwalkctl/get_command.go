package main

import (
	"errors"
	"strings"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/spf13/cobra"
)

// getOptions are get's flags (etcd's ctlv3/command/get_command.go).
type getOptions struct {
	consistency    string
	limit          int64
	sortOrder      string
	sortTarget     string
	prefix         bool
	fromKey        bool
	rev            int64
	keysOnly       bool
	countOnly      bool
	printValueOnly bool
	minCreateRev   int64
	maxCreateRev   int64
	minModRev      int64
	maxModRev      int64
}

func newGetCommand() *cobra.Command {
	return getCommandWith(getCommandFunc)
}

// getCommandWith is get's command with run as what it does (see putCommandWith).
func getCommandWith(run func(cmd *cobra.Command, o *getOptions, args []string)) *cobra.Command {
	o := &getOptions{}
	cmd := &cobra.Command{
		Use:   "get [options] <key> [range_end]",
		Short: "Gets the key or a range of keys",
		Run:   func(cmd *cobra.Command, args []string) { run(cmd, o, args) },
	}
	f := cmd.Flags()
	f.StringVar(&o.consistency, "consistency", "l", "Linearizable(l) or Serializable(s)")
	f.StringVar(&o.sortOrder, "order", "", "Order of results; ASCEND or DESCEND (ASCEND by default)")
	f.StringVar(&o.sortTarget, "sort-by", "", "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION")
	f.Int64Var(&o.limit, "limit", 0, "Maximum number of results")
	f.BoolVar(&o.prefix, "prefix", false, "Get keys with matching prefix")
	f.BoolVar(&o.fromKey, "from-key", false, "Get keys that are greater than or equal to the given key using byte compare")
	f.Int64Var(&o.rev, "rev", 0, "Specify the kv revision")
	f.BoolVar(&o.keysOnly, "keys-only", false, "Get only the keys")
	f.BoolVar(&o.countOnly, "count-only", false, "Get only the count")
	f.BoolVar(&o.printValueOnly, "print-value-only", false, `Only write values when using the "simple" output format`)
	f.Int64Var(&o.minCreateRev, "min-create-rev", 0, "Minimum create revision")
	f.Int64Var(&o.maxCreateRev, "max-create-rev", 0, "Maximum create revision")
	f.Int64Var(&o.minModRev, "min-mod-rev", 0, "Minimum modification revision")
	f.Int64Var(&o.maxModRev, "max-mod-rev", 0, "Maximum modification revision")

	completeWith(cmd, "consistency", "l", "s")
	completeWith(cmd, "order", "ASCEND", "DESCEND")
	completeWith(cmd, "sort-by", "CREATE", "KEY", "MODIFY", "VALUE", "VERSION")
	return cmd
}

func completeWith(cmd *cobra.Command, flag string, values ...string) {
	cmd.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveDefault
	})
}

// getCommandFunc runs get in etcdctl's order: the arguments are checked, the request is sent,
// and only then are --count-only and --print-value-only checked against the output format.
func getCommandFunc(cmd *cobra.Command, o *getOptions, args []string) {
	key, opts, err := getGetOp(o, args)
	if err != nil {
		exitWithError(ExitBadArgs, err)
	}
	ctx, cancel := commandCtx(cmd)
	cli, display := mustClientFromCmd(cmd)
	defer cli.Close()
	resp, err := cli.Get(ctx, key, opts...)
	cancel()
	if err != nil {
		exitWithError(ExitError, err)
	}
	if o.countOnly {
		if _, fields := display.(*fieldsPrinter); !fields {
			exitWithError(ExitBadArgs, errors.New("--count-only is only for `--write-out=fields`"))
		}
	}
	if o.printValueOnly {
		sp, simple := display.(*simplePrinter)
		if !simple {
			exitWithError(ExitBadArgs, errors.New("print-value-only is only for `--write-out=simple`"))
		}
		sp.valueOnly = true
	}
	display.Get(resp)
}

// getGetOp checks get's arguments and flags and turns them into the key and the options of the
// Get. It refuses the combinations clientv3.OpGet would panic on (--prefix with --from-key).
func getGetOp(o *getOptions, args []string) (string, []clientv3.OpOption, error) {
	if len(args) == 0 {
		return "", nil, exitErrf(ExitBadArgs, "get command needs one argument as key and an optional argument as range_end")
	}
	if o.prefix && o.fromKey {
		return "", nil, exitErrf(ExitBadArgs, "`--prefix` and `--from-key` cannot be set at the same time, choose one")
	}
	if o.keysOnly && o.countOnly {
		return "", nil, exitErrf(ExitBadArgs, "`--keys-only` and `--count-only` cannot be set at the same time, choose one")
	}

	var opts []clientv3.OpOption
	serializable, err := isSerializable(o.consistency, o.consistency)
	if err != nil {
		return "", nil, err
	}
	if serializable {
		opts = append(opts, clientv3.WithSerializable())
	}

	key := args[0]
	if len(args) > 1 {
		if o.prefix || o.fromKey {
			return "", nil, exitErrf(ExitBadArgs, "too many arguments, only accept one argument when `--prefix` or `--from-key` is set")
		}
		opts = append(opts, clientv3.WithRange(args[1]))
	}

	opts = append(opts, clientv3.WithLimit(o.limit))
	if o.rev > 0 {
		opts = append(opts, clientv3.WithRev(o.rev))
	}

	order := clientv3.SortNone
	switch strings.ToUpper(o.sortOrder) {
	case "ASCEND":
		order = clientv3.SortAscend
	case "DESCEND":
		order = clientv3.SortDescend
	case "":
	default:
		return "", nil, exitErrf(ExitBadFeature, "bad sort order %v", o.sortOrder)
	}

	target := clientv3.SortByKey
	switch strings.ToUpper(o.sortTarget) {
	case "CREATE":
		target = clientv3.SortByCreateRevision
	case "KEY":
		target = clientv3.SortByKey
	case "MODIFY":
		target = clientv3.SortByModRevision
	case "VALUE":
		target = clientv3.SortByValue
	case "VERSION":
		target = clientv3.SortByVersion
	case "":
	default:
		return "", nil, exitErrf(ExitBadFeature, "bad sort target %v", o.sortTarget)
	}
	opts = append(opts, clientv3.WithSort(target, order))

	// An empty key with --prefix is every key: etcdctl asks for it as "from \x00 on".
	if o.prefix {
		if key == "" {
			key = "\x00"
			opts = append(opts, clientv3.WithFromKey())
		} else {
			opts = append(opts, clientv3.WithPrefix())
		}
	}
	if o.fromKey {
		if key == "" {
			key = "\x00"
		}
		opts = append(opts, clientv3.WithFromKey())
	}
	if o.keysOnly {
		opts = append(opts, clientv3.WithKeysOnly())
	}
	if o.countOnly {
		opts = append(opts, clientv3.WithCountOnly())
	}
	if o.minCreateRev > 0 {
		opts = append(opts, clientv3.WithMinCreateRev(o.minCreateRev))
	}
	if o.maxCreateRev > 0 {
		if o.minCreateRev > o.maxCreateRev {
			return "", nil, exitErrf(ExitBadFeature, "getMinCreateRev(=%v) > getMaxCreateRev(=%v)", o.minCreateRev, o.maxCreateRev)
		}
		opts = append(opts, clientv3.WithMaxCreateRev(o.maxCreateRev))
	}
	if o.minModRev > 0 {
		opts = append(opts, clientv3.WithMinModRev(o.minModRev))
	}
	if o.maxModRev > 0 {
		if o.minModRev > o.maxModRev {
			return "", nil, exitErrf(ExitBadFeature, "getMinModRev(=%v) > getMaxModRev(=%v)", o.minModRev, o.maxModRev)
		}
		opts = append(opts, clientv3.WithMaxModRev(o.maxModRev))
	}
	return key, opts, nil
}
