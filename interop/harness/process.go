package harness

import (
	"path/filepath"
	"testing"

	"etcdwalk/interop/proc"
)

// Process is a server running as a child process for the length of one test: a proc.Process
// whose errors fail the test.
type Process struct {
	// Name is how logs and failure messages refer to the process ("ch01", "etcd", "etcd2").
	Name string
	// Endpoint is the client URL, http://127.0.0.1:PORT, for clientv3, etcdctl and Dial.
	Endpoint string
	// Endpoints are the client URLs of every member the process serves: one for StartServer,
	// StartEtcd and a member of StartEtcdCluster, one per member for StartCluster (in the order
	// the server was given them). Endpoints[0] is Endpoint.
	Endpoints []string
	// LogPath is the file holding the process's stdout and stderr (of its latest run, after a
	// Restart). It lives in the test's t.TempDir() and goes with it; a failed test prints its end.
	LogPath string

	p *proc.Process
}

// Cluster is a real etcd of one process per member, for the length of one test.
type Cluster struct {
	// Members are the members, etcd1 to etcdN; each can be killed, stopped and restarted.
	Members []*Process
	// Endpoints are the members' client URLs, in Members' order.
	Endpoints []string

	c *proc.Cluster
}

// StartServer starts one of our chapter servers, bin (from Build), listening for clients on a free
// 127.0.0.1 port: it passes --listen-client-urls and --advertise-client-urls, then args. It
// returns once the server answers a clientv3 Get, and stops it when the test ends; the server
// must then exit with status 0 within 5 seconds of SIGTERM.
func StartServer(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	p, err := proc.StartServer(t.Context(), proc.ServerConfig{
		Name: filepath.Base(bin), Bin: bin, Args: args, LogDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return adopt(t, p)
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
	p, err := proc.StartServer(t.Context(), proc.ServerConfig{
		Name: filepath.Base(bin), Bin: bin, Cluster: true, Members: members, Args: args, LogDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return adopt(t, p)
}

// StartEtcd starts a fresh single-member etcd v3.6.16 with its own data directory under
// t.TempDir(), free client and peer ports on 127.0.0.1, and error-level logging. Like
// StartServer it returns once etcd answers a Get (it has elected itself leader) and stops it when
// the test ends.
func StartEtcd(t testing.TB) *Process {
	t.Helper()
	return StartEtcdCluster(t, 1).Members[0]
}

// StartEtcdCluster starts a fresh real etcd v3.6.16 of members members, one process each, every
// member with its own data directory under t.TempDir(), and args after the flags that make the
// cluster. It returns once every member answers a Get and names the same leader, and stops every
// member when the test ends. A member restarted after Kill or Stop rejoins the cluster from its
// data directory.
func StartEtcdCluster(t testing.TB, members int, args ...string) *Cluster {
	t.Helper()
	cfg := proc.EtcdCluster(Build(t, EtcdPackage, false), members, t.TempDir())
	cfg.Args = append(cfg.Args, args...)
	return StartMembers(t, cfg)
}

// WaitReady waits until every running member of the cluster answers a Get and names the same
// leader, as after a start; for a test that restarted or stopped members and needs the cluster
// whole again before it goes on.
func (c *Cluster) WaitReady(t testing.TB) {
	t.Helper()
	if err := c.c.WaitReady(t.Context()); err != nil {
		t.Fatalf("harness: cluster not ready: %v", err)
	}
}

// Proc is the cluster as package proc runs it, for what this adapter does not offer (DataDir).
func (c *Cluster) Proc() *proc.Cluster { return c.c }

// adopt wraps p and stops it when the test ends.
func adopt(t testing.TB, p *proc.Process) *Process {
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("harness: %v", err)
		}
		if t.Failed() {
			logOutput(t, p)
		}
	})
	return wrap(p)
}

func wrap(p *proc.Process) *Process {
	return &Process{Name: p.Name(), Endpoint: p.Endpoint(), Endpoints: p.Endpoints(), LogPath: p.LogPath(), p: p}
}

// logOutput prints the end of every run's output of p, for a failed test.
func logOutput(t testing.TB, p *proc.Process) {
	logs := p.Logs()
	for i, log := range logs {
		if len(logs) > 1 {
			t.Logf("harness: last output of %s, run %d of %d:\n%s", p.Name(), i+1, len(logs), proc.TailFile(log))
		} else {
			t.Logf("harness: last output of %s:\n%s", p.Name(), proc.TailFile(log))
		}
	}
}

// Proc is the process as package proc runs it, for what this adapter does not offer (Pid,
// Check).
func (p *Process) Proc() *proc.Process { return p.p }

// Kill ends the process with SIGKILL, as a power cut or an OOM kill would: it gets no chance to
// flush or close anything. Kill returns once the process is gone; it stays down until Restart.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	if err := p.p.Kill(); err != nil {
		t.Fatalf("harness: %v\n%s", err, proc.LogTails(p.p))
	}
}

// Stop asks the process to exit with SIGTERM and waits until it has: our servers must exit with
// status 0 within 5 seconds, having closed their data cleanly. It stays down until Restart.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	err := p.p.Check()
	if err == nil {
		err = p.p.Stop()
	}
	if err != nil {
		t.Fatalf("harness: stop: %v\n%s", err, proc.LogTails(p.p))
	}
}

// Restart starts a process stopped by Kill or Stop again, with the same binary and arguments:
// the same data directory and the same client port, so Endpoint stays valid. It returns once
// the process answers a Get, like StartServer. A client connected before may take a moment to
// reconnect; a new one (NewClient, Dial) works at once.
func (p *Process) Restart(t testing.TB) {
	t.Helper()
	if err := p.p.Restart(t.Context()); err != nil {
		t.Fatalf("harness: %v", err)
	}
	p.LogPath = p.p.LogPath()
}

// RestartRefused starts a process stopped by Kill or Stop again, with the same binary and
// arguments, like Restart, but for a test that expects the process to refuse to start (a server
// that cannot reuse its data directory): it waits until the process exits by itself and returns
// its exit status and output (the end of it, as a failed test would print). The test fails if
// the process exits with status 0, becomes ready instead (it is then stopped), or does neither
// within 30 seconds. The process stays down.
func (p *Process) RestartRefused(t testing.TB) (exitCode int, output string) {
	t.Helper()
	code, err := p.p.RestartRefused(t.Context())
	p.LogPath = p.p.LogPath()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return code, p.p.Tail()
}
