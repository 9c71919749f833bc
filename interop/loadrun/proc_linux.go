package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dieWithParent asks Linux to kill a server when loadrun dies (Ctrl-C, a crash), so that no etcd
// or chapter server outlives the run.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on every Linux Go runs on.
const userHZ = 100

// processCPU is the CPU time, user plus system, that the running process pid has used so far (all
// its threads), from /proc/PID/stat, to the nearest 10 ms.
func processCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces and parentheses: the fields count from
	// after the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64) // field 14 of proc(5)
	stime, err2 := strconv.ParseUint(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / userHZ, true
}
