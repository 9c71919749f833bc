package main

import "syscall"

// dieWithParent asks Linux to kill a server when loadrun dies (Ctrl-C, a crash), so that no etcd
// or chapter server outlives the run.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
