package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"

	"etcdwalk/chapters/01-rpc/api/mvccpb"

	"github.com/spf13/cobra"
)

// printKV prints a key and its value on two lines (only the value with valueOnly), each as
// \x.. escapes with isHex (etcd's ctlv3/command/util.go).
func printKV(w io.Writer, isHex, valueOnly bool, kv *mvccpb.KeyValue) {
	k, v := string(kv.Key), string(kv.Value)
	if isHex {
		k, v = hexEscaped(kv.Key), hexEscaped(kv.Value)
	}
	if !valueOnly {
		fmt.Fprintln(w, k)
	}
	fmt.Fprintln(w, v)
}

// hexEscaped writes every byte as \x and two hex digits.
func hexEscaped(b []byte) string {
	out := make([]byte, 0, 4*len(b))
	for _, c := range b {
		out = append(out, '\\', 'x')
		out = hex.AppendEncode(out, []byte{c})
	}
	return string(out)
}

// argsRegexp splits a txn line into words as etcdctl does: a double-quoted string with its
// escapes, a single-quoted string, or a run of non-space characters that starts with neither
// quote.
var argsRegexp = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?`)

// Argify splits s into words (etcd's Argify): quotes are removed, and a double-quoted word is
// unquoted as a Go string literal ("a\tb" is a, tab, b).
func Argify(s string) ([]string, error) {
	args := argsRegexp.FindAllString(s, -1)
	for i, a := range args {
		switch {
		case a == "":
		case a[0] == '\'':
			args[i] = a[1 : len(a)-1]
		case a[0] == '"':
			if _, err := fmt.Sscanf(a, "%q", &args[i]); err != nil {
				return nil, exitErr(ExitInvalidInput, err)
			}
		}
	}
	return args, nil
}

// commandCtx bounds a command's request by --command-timeout.
func commandCtx(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	timeout, _ := cmd.Flags().GetDuration("command-timeout")
	return context.WithTimeout(context.Background(), timeout)
}

// isSerializable reads a --consistency value. etcdctl's error names the value of get's
// --consistency whichever command it checks, so reported is what the message shows ("l" for
// member list, whose get flag is never parsed).
func isSerializable(option, reported string) (bool, error) {
	switch option {
	case "s":
		return true, nil
	case "l":
		return false, nil
	}
	return false, exitErrf(ExitBadFeature, "unknown consistency flag %q", reported)
}
