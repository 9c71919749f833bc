package walkthrough

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// groupAttr puts a terminal's bash in a process group of its own, and kills it if the test
// process dies (its children are the watchdog's business: see prologue).
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// groupMembers lists the live processes of group pgid ("pid N: command line"). Zombies do not
// count: they have ended, and whoever reaps orphans here may never get to them.
func groupMembers(pgid int) []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var members []string
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it ended while we looked
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		// After the command name: state, ppid, pgrp, ...
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[2] != strconv.Itoa(pgid) {
			continue
		}
		dir := filepath.Dir(path)
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		members = append(members, fmt.Sprintf("  pid %s: %s", filepath.Base(dir), strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))))
	}
	return members
}
