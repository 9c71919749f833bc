package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Prints the version of etcdctl",
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(stdout, "etcdwalkctl version:", version)
			fmt.Fprintln(stdout, "API version:", apiVersion)
		},
	}
}
