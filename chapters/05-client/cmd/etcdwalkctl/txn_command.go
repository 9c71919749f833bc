package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/spf13/cobra"
)

const txnLong = `Txn reads multiple etcd requests from standard input and applies them as a single atomic transaction.

A transaction consists of three components:
1) a list of conditions,
2) a list of requests to apply if all the conditions are true,
3) a list of requests to apply if any condition is false.

Example interactive stdin usage:

---
etcdwalkctl txn -i
# compares:
mod("key1") > "0"

# success requests (get, put, delete):
put key1 "overwrote-key1"

# failure requests (get, put, delete):
put key1 "created-key1"
put key2 "some extra key"
---

Refer to https://github.com/etcd-io/etcd/blob/main/etcdctl/README.md#txn-options.`

// newTxnCommand is etcdctl's txn (etcd's ctlv3/command/txn_command.go): three blocks read from
// stdin, each ended by an empty line: the compares, the requests if they all hold, the
// requests if one does not. With -i, each block is announced on stdout first.
func newTxnCommand() *cobra.Command {
	var interactive bool
	cmd := &cobra.Command{
		Use:   "txn [options]",
		Short: "Txn processes all the requests in one transaction",
		Long:  txnLong,
		Run:   func(cmd *cobra.Command, args []string) { txnCommandFunc(cmd, interactive, args) },
	}
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "Input transaction in interactive mode")
	return cmd
}

func txnCommandFunc(cmd *cobra.Command, interactive bool, args []string) {
	if len(args) != 0 {
		exitWithError(ExitBadArgs, errors.New("txn command does not accept argument"))
	}
	r := bufio.NewReader(stdin)

	// etcdctl connects before it reads, and sends the txn without --command-timeout.
	cli, display := mustClientFromCmd(cmd)
	defer cli.Close()
	txn := cli.Txn(context.Background())
	prompt := func(s string) {
		if interactive {
			fmt.Fprintln(stdout, s)
		}
	}
	prompt("compares:")
	cmps, err := readCompares(r)
	if err != nil {
		exitWithError(ExitInvalidInput, err)
	}
	txn.If(cmps...)
	prompt("success requests (get, put, del):")
	thenOps, err := readOps(r)
	if err != nil {
		exitWithError(ExitInvalidInput, err)
	}
	txn.Then(thenOps...)
	prompt("failure requests (get, put, del):")
	elseOps, err := readOps(r)
	if err != nil {
		exitWithError(ExitInvalidInput, err)
	}
	txn.Else(elseOps...)

	resp, err := txn.Commit()
	if err != nil {
		exitWithError(ExitError, err)
	}
	display.Txn(resp)
}

// readCompares reads compares, one a line, up to an empty line. The end of the input before
// that empty line is an error ("EOF"), as in etcdctl.
func readCompares(r *bufio.Reader) ([]clientv3.Cmp, error) {
	var cmps []clientv3.Cmp
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, exitErr(ExitInvalidInput, err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			return cmps, nil
		}
		cmp, err := ParseCompare(line)
		if err != nil {
			return nil, exitErr(ExitInvalidInput, err)
		}
		cmps = append(cmps, *cmp)
	}
}

// readOps reads requests, one a line, up to an empty line.
func readOps(r *bufio.Reader) ([]clientv3.Op, error) {
	var ops []clientv3.Op
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, exitErr(ExitInvalidInput, err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			return ops, nil
		}
		op, err := parseRequestUnion(line)
		if err != nil {
			return nil, err
		}
		ops = append(ops, *op)
	}
}

// parseRequestUnion reads one request of a txn: a get, put or del command line, with the same
// flags and checks as the command itself (it runs put's, get's and del's own cobra commands
// on the words of the line, with a Run that builds the Op instead of sending it).
//
// A line cobra cannot parse is an "invalid txn request"; an argument the command refuses ends
// the program with the command's own error and status, as in etcdctl. A line that runs no
// command (put --help, help) is an invalid request too: etcdctl would wait forever for its Op.
func parseRequestUnion(line string) (*clientv3.Op, error) {
	args, err := Argify(line)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 {
		return nil, exitErrf(ExitInvalidInput, "invalid txn compare request: %s", line)
	}

	var (
		op    *clientv3.Op
		opErr error
	)
	put := putCommandWith(func(_ *cobra.Command, o *putOptions, args []string) {
		key, value, opts, err := getPutOp(o, args)
		if opErr = err; err == nil {
			p := clientv3.OpPut(key, value, opts...)
			op = &p
		}
	})
	get := getCommandWith(func(_ *cobra.Command, o *getOptions, args []string) {
		key, opts, err := getGetOp(o, args)
		if opErr = err; err == nil {
			g := clientv3.OpGet(key, opts...)
			op = &g
		}
	})
	del := delCommandWith(func(_ *cobra.Command, o *delOptions, args []string) {
		key, opts, err := getDelOp(o, args)
		if opErr = err; err == nil {
			d := clientv3.OpDelete(key, opts...)
			op = &d
		}
	})
	cmds := &cobra.Command{SilenceErrors: true}
	cmds.AddCommand(put, get, del)
	cmds.SetArgs(args)
	cmds.SetOut(stderr)
	cmds.SetErr(stderr)
	if err := cmds.Execute(); err != nil {
		return nil, exitErrf(ExitInvalidInput, "invalid txn request: %s", line)
	}
	if opErr != nil {
		return nil, opErr
	}
	if op == nil {
		return nil, exitErrf(ExitInvalidInput, "invalid txn request: %s", line)
	}
	return op, nil
}

// ParseCompare reads one compare of a txn (etcd's ParseCompare):
//
//	TARGET("key") OP "value"
//
// TARGET is ver or version, c or create, m or mod, val or value, or lease; OP is =, !=, < or
// >; the key and the value are Go string literals; the value is a number for ver, c and m, a
// hexadecimal lease ID for lease, and the value itself for val. An operator that is none of the
// four is an error here: etcdctl passes it on to clientv3.Compare, which panics.
func ParseCompare(line string) (*clientv3.Cmp, error) {
	var key, op, val string

	target, rest, ok := strings.Cut(line, "(")
	if !ok {
		return nil, fmt.Errorf("malformed comparison: %s", line)
	}
	n, serr := fmt.Sscanf(rest, "%q) %s %q", &key, &op, &val)
	if n != 3 {
		return nil, fmt.Errorf("malformed comparison: %s; got %s(%q) %s %q", line, target, key, op, val)
	}
	if serr != nil {
		return nil, fmt.Errorf("malformed comparison: %s (%w)", line, serr)
	}
	var (
		base clientv3.Cmp
		v    any
		err  error
	)
	switch target {
	case "ver", "version":
		base = clientv3.Version(key)
		v, err = strconv.ParseInt(val, 10, 64)
	case "c", "create":
		base = clientv3.CreateRevision(key)
		v, err = strconv.ParseInt(val, 10, 64)
	case "m", "mod":
		base = clientv3.ModRevision(key)
		v, err = strconv.ParseInt(val, 10, 64)
	case "val", "value":
		base, v = clientv3.Value(key), val
	case "lease":
		base = clientv3.LeaseValue(key)
		v, err = strconv.ParseInt(val, 16, 64)
	default:
		return nil, fmt.Errorf("malformed comparison: %s (unknown target %s)", line, target)
	}
	if err != nil {
		return nil, fmt.Errorf("invalid txn compare request: %s", line)
	}
	switch op {
	case "=", "!=", "<", ">":
	default:
		return nil, fmt.Errorf("malformed comparison: %s (unknown operator %s)", line, op)
	}
	cmp := clientv3.Compare(base, op, v)
	return &cmp, nil
}
