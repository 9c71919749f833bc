package walkthrough

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"etcdwalk/interop/proc"
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
		dir := filepath.Dir(path)
		f, ok := proc.StatFields(filepath.Base(dir)) // not ok: it ended while we looked
		if !ok || len(f) < 3 || f[0] == "Z" || f[2] != strconv.Itoa(pgid) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		members = append(members, fmt.Sprintf("  pid %s: %s", filepath.Base(dir), strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))))
	}
	return members
}
