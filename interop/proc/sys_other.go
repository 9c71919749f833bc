//go:build !linux

package proc

import (
	"syscall"
	"time"
)

// dieWithParent has no portable equivalent outside Linux: there, a run that is killed may leave
// its servers running, and Stop is the only way they end.
func dieWithParent() *syscall.SysProcAttr { return nil }

// cpuTime is not measured outside Linux.
func cpuTime(int) (time.Duration, bool) { return 0, false }

// StatFields has no /proc to read outside Linux.
func StatFields(string) ([]string, bool) { return nil, false }
