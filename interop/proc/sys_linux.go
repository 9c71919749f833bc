package proc

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dieWithParent asks Linux to kill the child when its parent dies, so that a run that is itself
// killed (go test -timeout, Ctrl-C, a crash) leaves no etcd or chapter server behind. The signal
// is tied to the thread that started the child, not the process; the Go runtime does not end
// idle threads, so in practice that is the parent's lifetime.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on every Linux Go runs on.
const userHZ = 100

// cpuTime reads the user plus system time of every thread of pid from /proc/PID/stat, to the
// nearest 10 ms.
func cpuTime(pid int) (time.Duration, bool) {
	f, ok := StatFields(strconv.Itoa(pid))
	if !ok || len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64) // field 14 of proc(5)
	stime, err2 := strconv.ParseUint(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / userHZ, true
}

// StatFields returns the fields of /proc/PID/stat after the command name, so that f[0] is the
// state, f[1] the parent's pid, f[2] the process group, f[11] and f[12] the user and system
// time. The command name, in parentheses, may hold spaces and parentheses: the fields count from
// after the last ')'. ok is false when the process is gone.
func StatFields(pid string) (f []string, ok bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(b[i+1:])), true
}
