package harness

import "syscall"

// dieWithParent asks Linux to kill the child when the test binary dies, so that a test run that
// is itself killed (go test -timeout, Ctrl-C) leaves no etcd or chapter server running. (The
// signal is tied to the thread that started the child; the Go runtime does not end idle threads,
// so in practice that is the test process's lifetime.)
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
