package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

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

// server is one server process, started fresh for one round.
type server struct {
	name     string
	endpoint string // http://127.0.0.1:PORT
	dataDir  string
	logPath  string
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
}

// freePorts returns n ports that were free a moment ago on 127.0.0.1.
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
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startEtcd starts a fresh single-member etcd with etcd's default settings (only the URLs, the
// data directory and the log level are set), in a data directory of its own under workDir.
func startEtcd(bin, workDir, name string) (*server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	dataDir, err := os.MkdirTemp(workDir, name+"-data-")
	if err != nil {
		return nil, err
	}
	return startProcess(name, client, dataDir, bin,
		"--name", "etcd",
		"--data-dir", dataDir,
		"--listen-client-urls", client,
		"--advertise-client-urls", client,
		"--listen-peer-urls", peer,
		"--initial-advertise-peer-urls", peer,
		"--initial-cluster", "etcd="+peer,
		"--log-level", "error",
	)
}

// startOurs starts a chapter server with its defaults, in a data directory of its own.
func startOurs(bin, workDir, name string) (*server, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	dataDir, err := os.MkdirTemp(workDir, name+"-data-")
	if err != nil {
		return nil, err
	}
	return startProcess(name, client, dataDir, bin,
		"--name", name,
		"--data-dir", dataDir,
		"--listen-client-urls", client,
		"--advertise-client-urls", client,
	)
}

func startProcess(name, endpoint, dataDir, bin string, args ...string) (*server, error) {
	s := &server{name: name, endpoint: endpoint, dataDir: dataDir, logPath: dataDir + ".log"}
	f, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = f, f
	s.cmd.SysProcAttr = dieWithParent()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s did not become ready: %w\n--- end of its log ---\n%s", name, err, s.logTail())
	}
	return s, nil
}

// waitReady polls a Get until one succeeds: etcd has then elected itself leader.
func (s *server) waitReady() error {
	cli, err := s.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := cli.Get(ctx, "loadrun-ready-probe")
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no Get succeeded within %v; the last one said: %v", readyTimeout, err)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("it exited: %v", s.waitErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *server) client() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   []string{s.endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// put writes key=value once, through the official client.
func (s *server) put(key, value string) error {
	cli, err := s.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, key, value)
	return err
}

// stop sends SIGTERM, kills after stopTimeout, and removes the data directory and the log.
func (s *server) stop() {
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	os.RemoveAll(s.dataDir)
}

// logTail is the end of the server's log, for error messages.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", s.logPath, err)
	}
	const max = 4 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
