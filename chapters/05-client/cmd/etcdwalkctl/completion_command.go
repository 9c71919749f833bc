package main

import (
	"github.com/spf13/cobra"
)

// newCompletionCommand prints a shell's completion script for etcdwalkctl, as etcdctl's
// completion does for etcdctl (etcd's ctlv3/command/completion_command.go).
func newCompletionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion [bash|zsh|fish|powershell]",
		Short: "Generate completion script",
		Long: `To load completions:

Bash:

  $ source <(etcdwalkctl completion bash)

Zsh (with compinit enabled in ~/.zshrc):

  $ etcdwalkctl completion zsh > "${fpath[1]}/_etcdwalkctl"

fish:

  $ etcdwalkctl completion fish | source

PowerShell:

  PS> etcdwalkctl completion powershell | Out-String | Invoke-Expression
`,
		DisableFlagsInUseLine: true,
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		Args:                  cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		Run: func(cmd *cobra.Command, args []string) {
			switch args[0] {
			case "bash":
				cmd.Root().GenBashCompletion(stdout)
			case "zsh":
				cmd.Root().GenZshCompletion(stdout)
			case "fish":
				cmd.Root().GenFishCompletion(stdout, true)
			case "powershell":
				cmd.Root().GenPowerShellCompletionWithDesc(stdout)
			}
		},
	}
}
