package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The memory phase (-chapter 06): one fresh cluster of each side takes cfg.memTotal puts of
// cfg.memValSize bytes, and each member's memory is read from /proc/PID/status, during the load
// and after it. With raft's log compacted after every snapshot a member's memory stays bounded
// by what its stores hold, not by how many writes it has seen.

// memStatus is what /proc/PID/status says about a process's memory, in bytes.
type memStatus struct {
	hwm  int64 // VmHWM: peak resident set size, over the whole life of the process
	rss  int64 // VmRSS: resident set size now, = anon + file + shmem
	anon int64 // RssAnon: resident anonymous memory (the Go heap, stacks, runtime)
	file int64 // RssFile: resident file mappings (the binary, bbolt's mmap of the db)
}

// statusFields are the lines of /proc/PID/status a memStatus needs (proc(5); RssAnon and RssFile
// since Linux 4.5), and where each goes.
var statusFields = map[string]func(*memStatus) *int64{
	"VmHWM":   func(m *memStatus) *int64 { return &m.hwm },
	"VmRSS":   func(m *memStatus) *int64 { return &m.rss },
	"RssAnon": func(m *memStatus) *int64 { return &m.anon },
	"RssFile": func(m *memStatus) *int64 { return &m.file },
}

// parseStatus reads the memory lines of /proc/PID/status:
//
//	VmHWM:	  123456 kB
//	VmRSS:	  120000 kB
//	RssAnon:	   80000 kB
//	RssFile:	   40000 kB
//
// Every one must be there, in kB (the only unit the kernel prints): a figure missing must not read
// as zero.
func parseStatus(text string) (memStatus, error) {
	var m memStatus
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		field, want := statusFields[key]
		if !ok || !want {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return memStatus{}, fmt.Errorf("/proc/PID/status: cannot read %q: want a number of kB", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return memStatus{}, fmt.Errorf("/proc/PID/status: cannot read %q: want a number of kB", sc.Text())
		}
		*field(&m) = kb << 10
		seen[key] = true
	}
	var missing []string
	for _, key := range []string{"VmHWM", "VmRSS", "RssAnon", "RssFile"} {
		if !seen[key] {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		return memStatus{}, fmt.Errorf("/proc/PID/status lacks %s", strings.Join(missing, ", "))
	}
	return m, nil
}

// readStatus reads pid's memory from /proc.
func readStatus(pid int) (memStatus, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memStatus{}, err
	}
	return parseStatus(string(b))
}

// memSample is the memory of every process sampled, at one moment of a load.
type memSample struct {
	at    time.Duration // since the sampling began
	procs []memStatus   // in the order of the pids sampled
}

// sampleMemory reads the memory of every pid now and then every `every` until the returned stop
// is called, which reads it a last time and returns every sample, the first taken before
// sampleMemory returns and the last by stop: there are always at least two. A pid that cannot be
// read (it has exited) ends the sampling with an error.
func sampleMemory(pids []int, every time.Duration) (stop func() ([]memSample, error)) {
	start := time.Now()
	var (
		mu      sync.Mutex
		samples []memSample
		sampErr error
	)
	take := func() {
		s := memSample{at: time.Since(start)}
		for _, pid := range pids {
			st, err := readStatus(pid)
			if err != nil {
				mu.Lock()
				sampErr = errors.Join(sampErr, fmt.Errorf("process %d: %w", pid, err))
				mu.Unlock()
				return
			}
			s.procs = append(s.procs, st)
		}
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	take()
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				take()
			}
		}
	}()
	return func() ([]memSample, error) {
		close(done)
		<-exited
		take()
		mu.Lock()
		defer mu.Unlock()
		return samples, sampErr
	}
}

// peakAnon is the largest RssAnon of process i over the samples.
func peakAnon(samples []memSample, i int) int64 {
	var peak int64
	for _, s := range samples {
		peak = max(peak, s.procs[i].anon)
	}
	return peak
}

// atFractions returns, for each fraction f of the sampled time, the last sample taken at or
// before f of the time of the last sample: how memory grew as the load went on. samples must be
// in the order taken, and not empty.
func atFractions(samples []memSample, fractions []float64) []memSample {
	end := samples[len(samples)-1].at
	out := make([]memSample, len(fractions))
	for j, f := range fractions {
		limit := time.Duration(f * float64(end))
		out[j] = samples[0]
		for _, s := range samples {
			if s.at > limit {
				break
			}
			out[j] = s
		}
	}
	return out
}

// diskUsage is what a member's data directory holds: etcd's layout, which chapter 06 keeps
// (member/snap/db, member/snap/*.snap, member/wal/*.wal).
type diskUsage struct {
	db, wal int64 // bytes of the backend's db file and of every file under member/wal
	snaps   int   // raft snapshot files (*.snap) under member/snap
}

// dataDirUsage measures dataDir, which need not exist in every part (a member that has not taken
// a snapshot has no .snap file).
func dataDirUsage(dataDir string) (diskUsage, error) {
	var u diskUsage
	snapDir := filepath.Join(dataDir, "member", "snap")
	st, err := os.Stat(filepath.Join(snapDir, "db"))
	switch {
	case err == nil:
		u.db = st.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return u, err
	}
	snaps, err := filepath.Glob(filepath.Join(snapDir, "*.snap"))
	if err != nil {
		return u, err
	}
	u.snaps = len(snaps)
	err = filepath.WalkDir(filepath.Join(dataDir, "member", "wal"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		u.wal += info.Size()
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	return u, err
}

// memberMemory is one member's figures from the memory phase.
type memberMemory struct {
	name     string
	leader   bool
	after    memStatus   // read right after the load: hwm is the peak over the member's life
	peakAnon int64       // largest RssAnon sampled during the load
	growth   []memStatus // at memFractions of the load's time
	disk     diskUsage
}

// memFractions are the points of the load at which the report shows each member's RssAnon.
var memFractions = []float64{0.25, 0.5, 0.75, 1}

// memoryRun is one side's memory phase.
type memoryRun struct {
	target  string
	res     result
	members []memberMemory
}

// largest is the largest peak RSS (VmHWM) of the side's members.
func (r memoryRun) largest() int64 {
	var m int64
	for _, mm := range r.members {
		m = max(m, mm.after.hwm)
	}
	return m
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// printMemory prints the memory phase: each side's load, then every member's memory and disk, and
// the ratio of the largest peak RSS of ours to etcd's.
func printMemory(w io.Writer, cfg config, runs []memoryRun) {
	fmt.Fprintf(w, "\n## Memory: %d puts of %d B, each to a key of its own, against one fresh cluster of each side\n\n", cfg.memTotal, cfg.memValSize)
	fmt.Fprintf(w, "| server | req/s | p50 ms | p99 ms | wall s | other work | largest peak RSS of a member, MiB |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range runs {
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %.1f | %s | %.1f |\n", r.target, r.res.rps, ms(r.res.p50), ms(r.res.p99), r.res.total.Seconds(), percent(r.res.otherBusy()), mib(r.largest()))
	}
	fmt.Fprintf(w, "\n| server | member | peak RSS (VmHWM) MiB | RssAnon MiB at 1/4, 1/2, 3/4, end of the load | peak RssAnon MiB | RssFile MiB at the end | db MiB | WAL MiB | .snap files |\n")
	fmt.Fprintf(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range runs {
		for _, m := range r.members {
			name := m.name
			if m.leader {
				name += " (leader)"
			}
			var growth []string
			for _, g := range m.growth {
				growth = append(growth, fmt.Sprintf("%.0f", mib(g.anon)))
			}
			fmt.Fprintf(w, "| %s | %s | %.1f | %s | %.1f | %.1f | %.1f | %.1f | %d |\n", r.target, name, mib(m.after.hwm),
				strings.Join(growth, " · "), mib(m.peakAnon), mib(m.after.file), mib(m.disk.db), mib(m.disk.wal), m.disk.snaps)
		}
	}
	var etcd, ours int64
	for _, r := range runs {
		switch r.target {
		case "etcd":
			etcd = r.largest()
		case "ours":
			ours = r.largest()
		}
	}
	if etcd > 0 && ours > 0 {
		fmt.Fprintf(w, "\nLargest peak RSS of a member: etcd %.1f MiB, ours %.1f MiB: **ours/etcd %.2f** (the goal: at most 1.5).\n", mib(etcd), mib(ours), float64(ours)/float64(etcd))
	}
	fmt.Fprintf(w, "\nThe values written: %d × %d B = %.1f MiB, which every member stores. Peak RSS: VmHWM of /proc/PID/status right\n"+
		"after the load (the largest resident set over the process's life); RssAnon (heap, stacks) sampled every %v\n"+
		"during the load; RssFile: file pages mapped and resident (the binary, bbolt's mmap of its db). db, WAL,\n"+
		".snap files: the member's data directory right after the load.\n",
		cfg.memTotal, cfg.memValSize, mib(int64(cfg.memTotal)*int64(cfg.memValSize)), memSampleEvery)
}
