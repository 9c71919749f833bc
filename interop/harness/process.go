package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

const (
	// readyTimeout bounds how long a server may take to answer its first Get. Real etcd needs
	// about a second to elect itself leader; a -race build of ours starts in well under that.
	readyTimeout = 30 * time.Second
	// stopTimeout is how long a server gets to exit after SIGTERM before it is killed.
	stopTimeout = 5 * time.Second
	// startAttempts is how often a start is retried when another process took the port between
	// choosing it and the server binding it.
	startAttempts = 3
	// logTail is how much of a process's output a failed test prints.
	logTail = 8 << 10
)

// Process is a server running as a child process for the length of one test.
type Process struct {
	// Name is how logs and failure messages refer to the process ("ch01", "etcd").
	Name string
	// Endpoint is the client URL, http://127.0.0.1:PORT, for clientv3, etcdctl and Dial.
	Endpoint string
	// Endpoints are the client URLs of every member: one for StartServer and StartEtcd, one per
	// member for StartCluster (in the order the server was given them). Endpoints[0] is Endpoint.
	Endpoints []string
	// LogPath is the file holding the process's stdout and stderr (of its latest run, after a
	// Restart). It lives in the test's t.TempDir() and goes with it; a failed test prints its end.
	LogPath string

	bin  string
	argv []string
	// logs are the log files of every run, LogPath last: a failed test prints each one's end.
	logs []string

	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error         // cmd.Wait's result, readable after exited is closed
	// cleanExit requires exit status 0 after SIGTERM (our servers promise it; etcd re-raises the
	// signal and dies of it, which is fine too).
	cleanExit bool
	// cluster makes readiness wait for a leader that every member knows (StartCluster).
	cluster bool
	// down is set while the process is stopped on purpose (Kill, Stop) and not yet restarted.
	down bool
}

// StartServer starts one of our chapter servers, bin (from Build), listening for clients on a free
// 127.0.0.1 port: it passes --listen-client-urls and --advertise-client-urls, then args. It
// returns once the server answers a clientv3 Get, and stops it when the test ends; the server
// must then exit with status 0 within 5 seconds of SIGTERM.
func StartServer(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	name := filepath.Base(bin)
	return start(t, name, startOptions{cleanExit: true}, func() ([]string, []string, error) {
		ports, err := FreePorts(1)
		if err != nil {
			return nil, nil, err
		}
		url := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		return []string{url}, append([]string{"--listen-client-urls", url, "--advertise-client-urls", url}, args...), nil
	}, bin)
}

// StartCluster starts one of our chapter servers that runs a whole cluster in one process
// (chapters 03 and 04), with members members: it passes --listen-client-urls with one free
// 127.0.0.1 URL per member, comma-separated, then args (such a server has no
// --advertise-client-urls; a --data-dir, if the server needs one, is the caller's to pass, and
// must not hold a member's data yet). Endpoints holds the members' URLs in that order.
//
// It returns once every member answers a clientv3 Get and reports, in a Maintenance Status, the
// same leader as the others: every member knows the leader, so a write through any of them can
// be forwarded to it. Readiness writes nothing, so the cluster is still at revision 1, like a
// fresh etcd. Like StartServer it stops the process when the test ends, and the process must
// then exit with status 0 within 5 seconds of SIGTERM.
func StartCluster(t testing.TB, bin string, members int, args ...string) *Process {
	t.Helper()
	if members < 1 {
		t.Fatalf("harness: StartCluster with %d members", members)
	}
	name := filepath.Base(bin)
	return start(t, name, startOptions{cleanExit: true, cluster: true}, func() ([]string, []string, error) {
		ports, err := FreePorts(members)
		if err != nil {
			return nil, nil, err
		}
		urls := make([]string, len(ports))
		for i, port := range ports {
			urls[i] = "http://127.0.0.1:" + strconv.Itoa(port)
		}
		return urls, append([]string{"--listen-client-urls", strings.Join(urls, ",")}, args...), nil
	}, bin)
}

// StartEtcd starts a fresh single-member etcd v3.6.16 with its own data directory under
// t.TempDir(), free client and peer ports on 127.0.0.1, and error-level logging. Like
// StartServer it returns once etcd answers a Get (it has elected itself leader) and stops it when
// the test ends.
func StartEtcd(t testing.TB) *Process {
	t.Helper()
	bin := Build(t, EtcdPackage, false)
	dataDir := t.TempDir()
	attempt := 0
	return start(t, "etcd", startOptions{}, func() ([]string, []string, error) {
		ports, err := FreePorts(2)
		if err != nil {
			return nil, nil, err
		}
		attempt++
		client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
		return []string{client}, []string{
			"--name", "etcd",
			// A fresh directory per attempt: a failed start may have left a half-made member.
			"--data-dir", filepath.Join(dataDir, fmt.Sprintf("data-%d", attempt)),
			"--listen-client-urls", client,
			"--advertise-client-urls", client,
			"--listen-peer-urls", peer,
			"--initial-advertise-peer-urls", peer,
			"--initial-cluster", "etcd=" + peer,
			"--log-level", "error",
		}, nil
	}, bin)
}

// startOptions are the Process fields that differ between kinds of server.
type startOptions struct {
	cleanExit bool
	cluster   bool
}

// start runs bin with the arguments args returns (a fresh set of ports each call) until the
// process is ready, retrying when the process dies because a port was taken.
func start(t testing.TB, name string, opts startOptions, args func() (endpoints, args []string, err error), bin string) *Process {
	t.Helper()
	for attempt := 1; ; attempt++ {
		endpoints, argv, err := args()
		if err != nil {
			t.Fatalf("harness: start %s: %v", name, err)
		}
		p := &Process{Name: name, Endpoint: endpoints[0], Endpoints: endpoints, bin: bin, argv: argv,
			cleanExit: opts.cleanExit, cluster: opts.cluster}
		if err := p.run(filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d.log", name, attempt))); err != nil {
			t.Fatalf("harness: start %s: %v", name, err)
		}
		err = p.waitReady()
		if err == nil {
			t.Cleanup(func() { p.cleanup(t) })
			return p
		}
		p.stop()
		out := p.tail()
		if attempt < startAttempts && strings.Contains(out, "address already in use") {
			t.Logf("harness: %s lost its port to another process; retrying on new ports", name)
			continue
		}
		t.Fatalf("harness: %s (%s %s) did not become ready: %v\n--- its output ---\n%s",
			name, bin, strings.Join(argv, " "), err, out)
	}
}

func (p *Process) run(logPath string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	// The child writes straight into the file (an *os.File needs no copying goroutine), so its
	// output survives even if it crashes.
	defer f.Close()
	cmd := exec.Command(p.bin, p.argv...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.waitErr, p.down = cmd, exited, nil, false
	p.LogPath = logPath
	p.logs = append(p.logs, logPath)
	go func() {
		err := cmd.Wait()
		p.waitErr = err // read only after exited is closed
		close(exited)
	}()
	return nil
}

// Kill ends the process with SIGKILL, as a power cut or an OOM kill would: it gets no chance to
// flush or close anything. Kill returns once the process is gone; it stays down until Restart.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	p.mustBeRunning(t, "Kill")
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		t.Fatalf("harness: %s did not exit within %v of SIGKILL", p.Name, stopTimeout)
	}
	p.down = true
}

// Stop asks the process to exit with SIGTERM and waits until it has: our servers must exit with
// status 0 within 5 seconds, having closed their data cleanly. It stays down until Restart.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	p.mustBeRunning(t, "Stop")
	killed := p.stop()
	p.down = true
	switch {
	case killed:
		t.Fatalf("harness: %s did not exit within %v of SIGTERM and was killed", p.Name, stopTimeout)
	case p.cleanExit && p.waitErr != nil:
		t.Fatalf("harness: %s should exit with status 0 on SIGTERM, but: %v\n--- its output ---\n%s", p.Name, p.waitErr, p.tail())
	}
}

// Restart starts a process stopped by Kill or Stop again, with the same binary and arguments:
// the same data directory and the same client port, so Endpoint stays valid. It returns once
// the process answers a Get, like StartServer. A client connected before may take a moment to
// reconnect; a new one (NewClient, Dial) works at once.
func (p *Process) Restart(t testing.TB) {
	t.Helper()
	if !p.down {
		t.Fatalf("harness: Restart of %s, which is still running; Kill or Stop it first", p.Name)
	}
	logPath := filepath.Join(t.TempDir(), fmt.Sprintf("%s-restart-%d.log", p.Name, len(p.logs)))
	if err := p.run(logPath); err != nil {
		t.Fatalf("harness: restart %s: %v", p.Name, err)
	}
	if err := p.waitReady(); err != nil {
		p.stop()
		p.down = true
		t.Fatalf("harness: %s (%s %s) did not become ready again after a restart: %v\n--- its output ---\n%s",
			p.Name, p.bin, strings.Join(p.argv, " "), err, p.tail())
	}
}

// RestartRefused starts a process stopped by Kill or Stop again, with the same binary and
// arguments, like Restart, but for a test that expects the process to refuse to start (a server
// that cannot reuse its data directory): it waits until the process exits by itself and returns
// its exit status and output (the end of it, as a failed test would print). The test fails if
// the process exits with status 0, becomes ready instead (it is then stopped), or does neither
// within 30 seconds. The process stays down.
func (p *Process) RestartRefused(t testing.TB) (exitCode int, output string) {
	t.Helper()
	if !p.down {
		t.Fatalf("harness: RestartRefused of %s, which is still running; Kill or Stop it first", p.Name)
	}
	logPath := filepath.Join(t.TempDir(), fmt.Sprintf("%s-restart-%d.log", p.Name, len(p.logs)))
	if err := p.run(logPath); err != nil {
		t.Fatalf("harness: restart %s: %v", p.Name, err)
	}
	err := p.waitReady()
	select {
	case <-p.exited:
	default:
		p.stop()
		p.down = true
		if err == nil {
			t.Fatalf("harness: %s (%s %s) should have refused to start again, but it is serving\n--- its output ---\n%s",
				p.Name, p.bin, strings.Join(p.argv, " "), p.tail())
		}
		t.Fatalf("harness: %s (%s %s) should have refused to start again, but it neither exited nor became ready: %v\n--- its output ---\n%s",
			p.Name, p.bin, strings.Join(p.argv, " "), err, p.tail())
	}
	p.down = true
	var exit *exec.ExitError
	switch {
	case p.waitErr == nil:
		t.Fatalf("harness: %s did not start again, as expected, but exited with status 0: a server that refuses to start must exit with a non-zero status\n--- its output ---\n%s", p.Name, p.tail())
	case errors.As(p.waitErr, &exit):
		exitCode = exit.ExitCode()
	default:
		t.Fatalf("harness: %s: %v", p.Name, p.waitErr)
	}
	return exitCode, p.tail()
}

func (p *Process) mustBeRunning(t testing.TB, what string) {
	t.Helper()
	if p.down {
		t.Fatalf("harness: %s of %s, which is down already", what, p.Name)
	}
	select {
	case <-p.exited:
		t.Fatalf("harness: %s of %s, which had exited by itself: %v\n--- its output ---\n%s", what, p.Name, p.waitErr, p.tail())
	default:
	}
}

// waitReady polls, until they all succeed, the process exits, or readyTimeout passes: a clientv3
// Get on every endpoint, each with a short timeout, and for a cluster a Status of every member
// naming the same leader.
func (p *Process) waitReady() error {
	clients := make([]*clientv3.Client, 0, len(p.Endpoints))
	defer func() {
		for _, cli := range clients {
			cli.Close()
		}
	}()
	for _, ep := range p.Endpoints {
		cli, err := clientv3.New(clientv3.Config{
			Endpoints:   []string{ep},
			DialTimeout: 2 * time.Second,
			Logger:      zap.NewNop(),
		})
		if err != nil {
			return err
		}
		clients = append(clients, cli)
	}
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for {
		err := ProbeReady(clients, p.Endpoints, p.cluster)
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("it exited before answering a Get: %v", p.waitErr)
		case <-deadline.C:
			return fmt.Errorf("not ready within %v; the last probe said: %v", readyTimeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ProbeReady is one round of the readiness checks on clients (one per endpoint, in order): a Get
// on every endpoint and, for a cluster, a Status of every member naming the same leader. loadrun
// uses it too.
func ProbeReady(clients []*clientv3.Client, endpoints []string, cluster bool) error {
	var leader uint64
	for i, cli := range clients {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := cli.Get(ctx, "etcdwalk-interop-ready-probe")
		if err == nil && cluster {
			var st *clientv3.StatusResponse
			st, err = cli.Status(ctx, endpoints[i])
			switch {
			case err != nil:
			case st.Leader == 0:
				err = errors.New("knows no leader yet")
			case i > 0 && st.Leader != leader:
				err = fmt.Errorf("names leader %x, but %s names %x", st.Leader, endpoints[0], leader)
			default:
				leader = st.Leader
			}
		}
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", endpoints[i], err)
		}
	}
	return nil
}

// stop sends SIGTERM, waits up to stopTimeout, then kills. It reports whether the process had
// to be killed, and is a no-op for a process that has exited already.
func (p *Process) stop() (killed bool) {
	select {
	case <-p.exited:
		return false
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return false
	case <-time.After(stopTimeout):
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		// Not even SIGKILL worked (a zombie we cannot reap?). Leave it rather than hang the run.
	}
	return true
}

func (p *Process) cleanup(t testing.TB) {
	select {
	case <-p.exited:
		if !p.down {
			t.Errorf("harness: %s exited while the test was still running (%v); a server must keep serving until it is told to stop", p.Name, p.waitErr)
		}
	default:
		if p.stop() {
			t.Errorf("harness: %s did not exit within %v of SIGTERM and was killed", p.Name, stopTimeout)
		} else if p.cleanExit && p.waitErr != nil {
			t.Errorf("harness: %s should exit with status 0 on SIGTERM, but: %v", p.Name, p.waitErr)
		}
	}
	if t.Failed() {
		for i, log := range p.logs {
			if len(p.logs) > 1 {
				t.Logf("harness: last output of %s, run %d of %d:\n%s", p.Name, i+1, len(p.logs), tailOf(log))
			} else {
				t.Logf("harness: last output of %s:\n%s", p.Name, tailOf(log))
			}
		}
	}
}

// tail returns the end of the process's output (of its latest run).
func (p *Process) tail() string { return tailOf(p.LogPath) }

func tailOf(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read the log: %v)", err)
	}
	if len(b) > logTail {
		b = b[len(b)-logTail:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
		b = append([]byte("...\n"), b...)
	}
	if len(b) == 0 {
		return "(no output)"
	}
	return string(b)
}

// FreePorts asks the kernel for n unused ports on 127.0.0.1. They are free when this returns, not
// reserved: another process may take one before the server binds it, which start handles by
// retrying.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
