//go:build !linux

package harness

import "syscall"

// dieWithParent has no portable equivalent outside Linux: there, a killed test run may leave its
// servers running, and Process cleanup is the only way they stop.
func dieWithParent() *syscall.SysProcAttr { return nil }
