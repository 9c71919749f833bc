package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"etcdwalk/interop/harness"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Packages of the binaries a run builds, at the versions interop/go.mod pins.
const (
	etcdPackage      = "go.etcd.io/etcd/server/v3"
	benchmarkPackage = "go.etcd.io/etcd/v3/tools/benchmark"
)

const (
	buildTimeout = 10 * time.Minute // a cold build of etcd on 2 cores takes a few minutes
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// interopDir is the interop module's directory: builds run there, so that interop/go.mod pins
// etcd's version and the go.work above it resolves the chapters' packages.
func interopDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Dir(filepath.Dir(file))
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "etcdwalk/interop").Output()
	if err != nil {
		return "", fmt.Errorf("cannot find the interop module (run loadrun from inside the etcdwalk workspace): %w", err)
	}
	return string(bytes.TrimSpace(out)), nil
}

// build compiles pkg into dir/name, without the race detector (it would slow our server and not
// etcd's), and returns the binary's path.
func build(modDir, dir, name, pkg string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", out, pkg)
	cmd.Dir = modDir
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, output)
	}
	return out, nil
}

// server is what one round measures: a fresh deployment of one side of the comparison. It is
// one process (single-member etcd, chapter 02, or chapter 03's whole cluster) or several (a real
// etcd cluster, one process per member), with the client URLs of all its members.
type server struct {
	name      string
	endpoints []string // one client URL per member, http://127.0.0.1:PORT
	procs     []*process
}

// process is one operating-system process of a server, with its own data directory and log.
type process struct {
	name    string
	dataDir string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error         // cmd.Wait's result, readable after exited is closed
}

// etcdArgs are the flags of member i of a real etcd cluster with one member per client URL: only
// the names, the URLs, the data directory and the log level are set, everything else is etcd's
// default (heartbeat 100 ms, election timeout 1 s, snapshot every 10,000 entries, ...).
func etcdArgs(i int, names, clientURLs, peerURLs []string, dataDir string) []string {
	initial := make([]string, len(names))
	for j := range names {
		initial[j] = names[j] + "=" + peerURLs[j]
	}
	return []string{
		"--name", names[i],
		"--data-dir", dataDir,
		"--listen-client-urls", clientURLs[i],
		"--advertise-client-urls", clientURLs[i],
		"--listen-peer-urls", peerURLs[i],
		"--initial-advertise-peer-urls", peerURLs[i],
		"--initial-cluster", strings.Join(initial, ","),
		"--initial-cluster-state", "new",
		"--log-level", "error",
	}
}

// oursArgs are the flags of one of our servers: a single-member chapter takes one client URL and
// etcd's --name and --advertise-client-urls; a cluster chapter (03, 04) runs every member in the
// one process, takes one client URL per member, and puts the members' directories under dataDir.
func oursArgs(name string, clusterServer bool, clientURLs []string, dataDir string) []string {
	if clusterServer {
		return []string{
			"--data-dir", dataDir,
			"--listen-client-urls", strings.Join(clientURLs, ","),
		}
	}
	return []string{
		"--name", name,
		"--data-dir", dataDir,
		"--listen-client-urls", clientURLs[0],
		"--advertise-client-urls", clientURLs[0],
	}
}

func localURLs(ports []int) []string {
	urls := make([]string, len(ports))
	for i, p := range ports {
		urls[i] = "http://127.0.0.1:" + strconv.Itoa(p)
	}
	return urls
}

// startEtcd starts a fresh real etcd of members members, one process each, on free 127.0.0.1
// ports, every member in a data directory of its own under workDir. The members are started
// together (a new cluster serves clients only once a majority has met) and the call returns once
// every member answers a Get and, with more than one, names the same leader.
func startEtcd(bin, workDir, name string, members int) (*server, error) {
	ports, err := harness.FreePorts(2 * members)
	if err != nil {
		return nil, err
	}
	clientURLs, peerURLs := localURLs(ports[:members]), localURLs(ports[members:])
	names := make([]string, members)
	for i := range names {
		names[i] = fmt.Sprintf("etcd%d", i+1)
	}
	if members == 1 {
		names[0] = "etcd"
	}
	s := &server{name: name, endpoints: clientURLs}
	for i := range members {
		dataDir, err := os.MkdirTemp(workDir, names[i]+"-data-")
		if err != nil {
			s.stop()
			return nil, err
		}
		p, err := startProcess(names[i], dataDir, bin, etcdArgs(i, names, clientURLs, peerURLs, dataDir)...)
		if err != nil {
			s.stop()
			return nil, err
		}
		s.procs = append(s.procs, p)
	}
	return s, s.ready()
}

// startOurs starts one of our chapter servers with its defaults, in a data directory of its own:
// one member, or for a cluster server every member (one client URL each) in the one process.
func startOurs(bin, workDir, name string, members int, clusterServer bool) (*server, error) {
	ports, err := harness.FreePorts(members)
	if err != nil {
		return nil, err
	}
	clientURLs := localURLs(ports)
	dataDir, err := os.MkdirTemp(workDir, name+"-data-")
	if err != nil {
		return nil, err
	}
	p, err := startProcess(name, dataDir, bin, oursArgs(name, clusterServer, clientURLs, dataDir)...)
	if err != nil {
		return nil, err
	}
	s := &server{name: name, endpoints: clientURLs, procs: []*process{p}}
	return s, s.ready()
}

func startProcess(name, dataDir, bin string, args ...string) (*process, error) {
	p := &process{name: name, dataDir: dataDir, logPath: dataDir + ".log"}
	f, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = dieWithParent()
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dataDir)
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.exited = make(chan struct{})
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// ready waits until the server is ready, and stops it if it does not become so.
func (s *server) ready() error {
	if err := s.waitReady(); err != nil {
		s.stop()
		return fmt.Errorf("%s did not become ready: %w\n%s", s.name, err, s.logTail())
	}
	return nil
}

// waitReady polls until every endpoint answers a Get and, for a cluster, every member's Status
// names a leader, the same for all: a fresh etcd has then elected itself (or a leader), and a
// write through any member can reach the leader.
func (s *server) waitReady() error {
	var clients []*clientv3.Client
	defer func() {
		for _, cli := range clients {
			cli.Close()
		}
	}()
	for _, ep := range s.endpoints {
		cli, err := client(ep)
		if err != nil {
			return err
		}
		clients = append(clients, cli)
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		err := harness.ProbeReady(clients, s.endpoints, len(clients) > 1)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %v; the last probe said: %v", readyTimeout, err)
		}
		for _, p := range s.procs {
			select {
			case <-p.exited:
				return fmt.Errorf("%s exited: %v", p.name, p.waitErr)
			default:
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func client(endpoints ...string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// put writes key=value once, through the official client.
func (s *server) put(key, value string) error {
	cli, err := client(s.endpoints...)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, key, value)
	return err
}

// stop sends SIGTERM to every process at once, kills those still running after stopTimeout, and
// removes the data directories (the logs stay in the work directory until the run ends).
func (s *server) stop() {
	for _, p := range s.procs {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	expired := false
	for _, p := range s.procs {
		if !expired {
			select {
			case <-p.exited:
				continue
			case <-timer.C:
				expired = true
			}
		}
		_ = p.cmd.Process.Kill() // an error only says it has exited already
		<-p.exited
	}
	for _, p := range s.procs {
		os.RemoveAll(p.dataDir)
	}
}

// cpu is the CPU time all the server's processes have used so far; false where it cannot be read.
func (s *server) cpu() (time.Duration, bool) {
	var sum time.Duration
	for _, p := range s.procs {
		d, ok := processCPU(p.cmd.Process.Pid)
		if !ok {
			return 0, false
		}
		sum += d
	}
	return sum, true
}

// logTail is the end of every process's log, for error messages.
func (s *server) logTail() string {
	var b strings.Builder
	for _, p := range s.procs {
		fmt.Fprintf(&b, "--- end of %s's log ---\n%s\n", p.name, p.logTail())
	}
	return b.String()
}

func (p *process) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
	}
	const max = 4 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
