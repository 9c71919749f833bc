//go:build !linux

package main

import (
	"syscall"
	"time"
)

// dieWithParent has no portable equivalent outside Linux: a killed run may leave a server running.
func dieWithParent() *syscall.SysProcAttr { return nil }

// processCPU is not measured outside Linux: the report then shows no CPU times.
func processCPU(pid int) (time.Duration, bool) { return 0, false }
