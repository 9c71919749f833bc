package harness

import (
	"bytes"
	"context"
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
	return start(t, name, true, func() (string, []string, error) {
		ports, err := freePorts(1)
		if err != nil {
			return "", nil, err
		}
		url := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		return url, append([]string{"--listen-client-urls", url, "--advertise-client-urls", url}, args...), nil
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
	return start(t, "etcd", false, func() (string, []string, error) {
		ports, err := freePorts(2)
		if err != nil {
			return "", nil, err
		}
		attempt++
		client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
		return client, []string{
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

// start runs bin with the arguments args returns (a fresh set of ports each call) until the
// process is ready, retrying when the process dies because a port was taken.
func start(t testing.TB, name string, cleanExit bool, args func() (endpoint string, args []string, err error), bin string) *Process {
	t.Helper()
	for attempt := 1; ; attempt++ {
		endpoint, argv, err := args()
		if err != nil {
			t.Fatalf("harness: start %s: %v", name, err)
		}
		p := &Process{Name: name, Endpoint: endpoint, bin: bin, argv: argv, cleanExit: cleanExit}
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

// waitReady polls a clientv3 Get, each with a short timeout, until one succeeds, the process
// exits, or readyTimeout passes.
func (p *Process) waitReady() error {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{p.Endpoint},
		DialTimeout: 2 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return err
	}
	defer cli.Close()
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := cli.Get(ctx, "etcdwalk-interop-ready-probe")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("it exited before answering a Get: %v", p.waitErr)
		case <-deadline.C:
			return fmt.Errorf("no Get succeeded within %v; the last one said: %v", readyTimeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
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

// freePorts asks the kernel for n unused ports on 127.0.0.1. They are free when this returns, not
// reserved: another process may take one before the server binds it, which start handles by
// retrying.
func freePorts(n int) ([]int, error) {
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
