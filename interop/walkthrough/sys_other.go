//go:build !linux

package walkthrough

import (
	"fmt"
	"syscall"
)

// groupAttr puts a terminal's bash in a process group of its own.
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// groupMembers says whether group pgid still has a process (a zombie counts too: there is no
// /proc to tell).
func groupMembers(pgid int) []string {
	if syscall.Kill(-pgid, 0) != nil {
		return nil
	}
	return []string{fmt.Sprintf("  process group %d", pgid)}
}
