package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The exit statuses etcdctl uses (etcd's pkg/cobrautl/error.go), following the conventions of
// http://tldp.org/LDP/abs/html/exitcodes.html.
const (
	ExitSuccess       = 0
	ExitError         = 1
	ExitBadConnection = 2
	ExitInvalidInput  = 3 // a txn's standard input etcdctl cannot read
	ExitBadFeature    = 4 // a known flag with a value it does not support
	ExitBadArgs       = 128
)

// exitError is an error that ends the program with its exit status. etcdctl exits from deep
// inside its commands; here the functions that check input return an exitError instead, so the
// tests can call them, and only the cobra Run functions exit.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitErr(code int, err error) error { return &exitError{code: code, err: err} }

func exitErrf(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// stdout and stderr are where the program writes; the tests replace them.
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
	exit             = os.Exit
)

// exitWithError prints "Error: ..." and ends the program, as etcd's cobrautl.ExitWithError: with
// err's own status if it is an exitError, with code otherwise.
func exitWithError(code int, err error) {
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintln(stderr, "Error:", err)
	exit(code)
}

// usageFunc writes a command's help the way etcdctl does (etcd's cobrautl.UsageFunc): NAME,
// USAGE, VERSION (the root only), API VERSION and COMMANDS (commands with subcommands),
// DESCRIPTION, OPTIONS and GLOBAL OPTIONS, aligned by a tabwriter.
//
// It writes to stdout itself rather than to cobra's writer, as etcdctl's does. That is why, on a
// bad flag, etcdctl prints the usage on stdout and only "Error: ..." and an empty line on
// stderr: cobra prints the usage string it captured, which is empty.
func usageFunc(cmd *cobra.Command) error {
	tw := tabwriter.NewWriter(stdout, 0, 8, 1, '\t', 0)
	var b strings.Builder

	b.WriteString("NAME:\n")
	name := cmdName(cmd, cmd.Root())
	if !cmd.HasParent() {
		name = cmd.Name()
	}
	b.WriteString(indent(name+" - "+cmd.Short) + "\n")

	b.WriteString("\nUSAGE:\n")
	b.WriteString(indent(cmd.UseLine()) + "\n")

	if !cmd.HasParent() {
		b.WriteString("\nVERSION:\n")
		b.WriteString(indent(version) + "\n")
	}
	if cmd.HasSubCommands() {
		b.WriteString("\nAPI VERSION:\n")
		b.WriteString(indent(apiVersion) + "\n")
	}
	if cmd.HasExample() {
		b.WriteString("\nExamples:\n" + cmd.Example + "\n")
	}
	if cmd.HasSubCommands() {
		b.WriteString("\nCOMMANDS:\n")
		for _, sub := range descendants(cmd) {
			if sub.Runnable() {
				b.WriteString(indent(cmdName(sub, cmd)+"\t"+sub.Short) + "\n")
			}
		}
	}
	if cmd.Long != "" {
		b.WriteString("\nDESCRIPTION:\n")
		for _, line := range strings.Split(strings.Trim(cmd.Long, "\n\t "), "\n") {
			b.WriteString(indent(line) + "\n")
		}
	}
	if cmd.HasLocalFlags() {
		b.WriteString("\nOPTIONS:\n")
		b.WriteString(flagUsages(cmd.LocalFlags()))
	}
	if cmd.HasInheritedFlags() {
		b.WriteString("\nGLOBAL OPTIONS:\n")
		b.WriteString(flagUsages(cmd.InheritedFlags()))
	}
	b.WriteString("\n")

	io.WriteString(tw, b.String())
	return tw.Flush()
}

// cmdName is cmd's path below start: "list" under member, "member list" under the root.
func cmdName(cmd, start *cobra.Command) string {
	parts := []string{cmd.Name()}
	for cmd.HasParent() && cmd.Parent().Name() != start.Name() {
		cmd = cmd.Parent()
		parts = append([]string{cmd.Name()}, parts...)
	}
	return strings.Join(parts, " ")
}

// descendants lists cmd's subcommands depth first, each followed by its own.
func descendants(cmd *cobra.Command) []*cobra.Command {
	var all []*cobra.Command
	for _, sub := range cmd.Commands() {
		all = append(all, sub)
		all = append(all, descendants(sub)...)
	}
	return all
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// flagUsages is one line per flag: the shorthand, the name, the default (quoted for strings,
// in [=...] for flags that take no value) and, after a tab, what it is for.
func flagUsages(fs *pflag.FlagSet) string {
	var b strings.Builder
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Deprecated != "" {
			return
		}
		if f.Shorthand != "" {
			fmt.Fprintf(&b, "  -%s, --%s", f.Shorthand, f.Name)
		} else {
			fmt.Fprintf(&b, "      --%s", f.Name)
		}
		def := f.DefValue
		if f.Value.Type() == "string" {
			def = fmt.Sprintf("%q", def)
		}
		if f.NoOptDefVal != "" {
			fmt.Fprintf(&b, "[=%s]", def)
		} else {
			fmt.Fprintf(&b, "=%s", def)
		}
		fmt.Fprintf(&b, "\t%s\n", f.Usage)
	})
	return b.String()
}
