//go:build !linux

package main

import "syscall"

// dieWithParent has no portable equivalent outside Linux: a killed run may leave a server running.
func dieWithParent() *syscall.SysProcAttr { return nil }
