package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Default timeouts, used where Timeouts leaves a field zero.
const (
	// DefaultReadyTimeout bounds how long a server may take to answer. Real etcd needs about a
	// second to elect a leader; a -race build of ours starts in well under that.
	DefaultReadyTimeout = 30 * time.Second
	// DefaultStopTimeout is how long a process gets to exit after SIGTERM before it is killed,
	// and again after SIGKILL before it is given up on.
	DefaultStopTimeout = 5 * time.Second
)

// tailBytes is how much of the end of a log Tail returns.
const tailBytes = 8 << 10

// ErrDown is the error Check wraps for a process that was stopped or killed on purpose (or whose
// start failed) and has not been restarted.
var ErrDown = errors.New("down")

// Timeouts bound the waits of a process; zero fields take the defaults.
type Timeouts struct {
	Ready time.Duration // until the process answers, after a start or a restart
	Stop  time.Duration // after SIGTERM before SIGKILL, and after SIGKILL before giving up
}

func (t Timeouts) readyTimeout() time.Duration { return orDefault(t.Ready, DefaultReadyTimeout) }
func (t Timeouts) stopTimeout() time.Duration  { return orDefault(t.Stop, DefaultStopTimeout) }

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Spec says how to run one process and how to tell that it is ready.
type Spec struct {
	// Name is how logs and errors refer to the process ("etcd2", "ch03"); it also names its log
	// files.
	Name string
	Bin  string
	Args []string
	// Env are KEY=VALUE pairs added to the parent's environment (GORACE, GOMAXPROCS, ...).
	Env []string
	// Endpoints are the client URLs the process serves, http://127.0.0.1:PORT. It is ready once
	// a clientv3 Get succeeds on every one.
	Endpoints []string
	// Leader makes readiness also wait until every endpoint names, in a Maintenance Status, the
	// same leader.
	Leader bool
	// CleanExit requires exit status 0 after SIGTERM. Our servers promise it; etcd re-raises the
	// signal and dies of it, which is a clean stop too.
	CleanExit bool
	// LogDir holds the process's output, one file per run (name-1.log, name-2.log, ...), kept
	// after the process ends so that a failure can show it.
	LogDir string
	Timeouts
}

// Process is a child process started from a Spec. Its methods may be called from several
// goroutines; lifecycle calls (Stop, Kill, Restart, RestartRefused) run one at a time.
type Process struct {
	spec Spec

	ops sync.Mutex // held by a lifecycle call for its whole length

	mu   sync.Mutex // guards the fields below
	cur  *run       // the latest run; nil before the first
	logs []string   // log file of every run, oldest first
	down bool       // stopped on purpose and not restarted
}

// run is one execution of the binary.
type run struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait has returned
	err    error         // cmd.Wait's result, readable once exited is closed
}

// Start runs spec's binary and waits until it is ready. If it does not become ready (it exits,
// or spec.Ready passes, or ctx ends), Start stops it and returns an error holding the end of its
// output.
func Start(ctx context.Context, spec Spec) (*Process, error) {
	p, err := launch(spec)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx); err != nil {
		p.abort()
		return nil, p.startError("start", err)
	}
	return p, nil
}

// launch validates spec and starts the process without waiting for it.
func launch(spec Spec) (*Process, error) {
	switch {
	case spec.Name == "" || spec.Bin == "" || spec.LogDir == "":
		return nil, fmt.Errorf("proc: Spec needs Name, Bin and LogDir (got %q, %q, %q)", spec.Name, spec.Bin, spec.LogDir)
	case len(spec.Endpoints) == 0:
		return nil, fmt.Errorf("proc: %s has no endpoints to tell when it is ready", spec.Name)
	}
	spec.Args = append([]string(nil), spec.Args...)
	spec.Env = append([]string(nil), spec.Env...)
	spec.Endpoints = append([]string(nil), spec.Endpoints...)
	p := &Process{spec: spec}
	if err := p.exec(); err != nil {
		return nil, err
	}
	return p, nil
}

// exec starts a new run of the binary, its output going to a new log file.
func (p *Process) exec() error {
	f, path, err := newLog(p.spec.LogDir, p.spec.Name)
	if err != nil {
		return fmt.Errorf("proc: %s: %w", p.spec.Name, err)
	}
	// The child writes straight into the file (an *os.File needs no copying goroutine), so its
	// output survives even if it, or we, crash.
	defer f.Close()
	cmd := exec.Command(p.spec.Bin, p.spec.Args...)
	cmd.Stdout, cmd.Stderr = f, f
	if len(p.spec.Env) > 0 {
		cmd.Env = append(os.Environ(), p.spec.Env...)
	}
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("proc: start %s: %w", p.spec.Name, err)
	}
	r := &run{cmd: cmd, exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	p.mu.Lock()
	p.cur, p.down = r, false
	p.logs = append(p.logs, path)
	p.mu.Unlock()
	return nil
}

// newLog creates the next free dir/name-N.log: a retried start or a restart never overwrites
// the output of the run before it.
func newLog(dir, name string) (*os.File, string, error) {
	for n := 1; ; n++ {
		path := filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, n))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, path, err
	}
}

// Name is the Spec's Name.
func (p *Process) Name() string { return p.spec.Name }

// Endpoint is the first client URL.
func (p *Process) Endpoint() string { return p.spec.Endpoints[0] }

// Endpoints are the client URLs, in the Spec's order.
func (p *Process) Endpoints() []string { return append([]string(nil), p.spec.Endpoints...) }

// Cmdline is the binary and its arguments, for messages.
func (p *Process) Cmdline() string {
	return strings.Join(append([]string{p.spec.Bin}, p.spec.Args...), " ")
}

// Pid is the operating-system process ID of the latest run.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur.cmd.Process.Pid
}

// LogPath is the log file of the latest run.
func (p *Process) LogPath() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs[len(p.logs)-1]
}

// Logs are the log files of every run, the latest last.
func (p *Process) Logs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.logs...)
}

// Tail is the end of the latest run's output.
func (p *Process) Tail() string { return TailFile(p.LogPath()) }

// CPUTime is the CPU time, user plus system, all threads, that the running process has used;
// false where it cannot be read (the process has exited, or the system has no /proc).
func (p *Process) CPUTime() (time.Duration, bool) {
	if p.Check() != nil {
		return 0, false
	}
	return cpuTime(p.Pid())
}

// exited is closed when the latest run has ended.
func (p *Process) exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur.exited
}

// Check returns nil while the process runs. Otherwise its error wraps ErrDown if the process was
// stopped on purpose, or says how it exited if it exited by itself.
func (p *Process) Check() error {
	p.mu.Lock()
	r, down := p.cur, p.down
	p.mu.Unlock()
	if down {
		return fmt.Errorf("%s is %w", p.spec.Name, ErrDown)
	}
	select {
	case <-r.exited:
		return fmt.Errorf("%s exited by itself: %s", p.spec.Name, exitStatus(r.err))
	default:
		return nil
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Stop sends SIGTERM and waits for the process to exit; after the Stop timeout it kills it. It
// returns an error if it had to kill it, if a Spec with CleanExit exited with another status than
// 0, or if the process had exited by itself before. A process down already is left alone, so
// Stop can always be deferred.
func (p *Process) Stop() error {
	p.ops.Lock()
	defer p.ops.Unlock()
	p.mu.Lock()
	r, down := p.cur, p.down
	p.mu.Unlock()
	if down {
		return nil
	}
	defer p.setDown()
	select {
	case <-r.exited:
		return fmt.Errorf("%s had exited by itself before it was stopped: %s", p.spec.Name, exitStatus(r.err))
	default:
	}
	if err := p.terminate(r); err != nil {
		return err
	}
	if p.spec.CleanExit && r.err != nil {
		return fmt.Errorf("%s should exit with status 0 on SIGTERM, but: %v", p.spec.Name, r.err)
	}
	return nil
}

// terminate is SIGTERM, then SIGKILL after the Stop timeout.
func (p *Process) terminate(r *run) error {
	timeout := p.spec.stopTimeout()
	_ = r.cmd.Process.Signal(syscall.SIGTERM) // an error only says it has exited already
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-r.exited:
		return nil
	case <-timer.C:
	}
	if err := p.kill(r); err != nil {
		return err
	}
	return fmt.Errorf("%s did not exit within %v of SIGTERM and was killed", p.spec.Name, timeout)
}

// kill is SIGKILL, and the wait for the process to be gone.
func (p *Process) kill(r *run) error {
	_ = r.cmd.Process.Kill()
	timer := time.NewTimer(p.spec.stopTimeout())
	defer timer.Stop()
	select {
	case <-r.exited:
		return nil
	case <-timer.C:
		// Not even SIGKILL worked (stuck in the kernel?). Report it rather than hang.
		return fmt.Errorf("%s (pid %d) did not exit within %v of SIGKILL", p.spec.Name, r.cmd.Process.Pid, p.spec.stopTimeout())
	}
}

func (p *Process) setDown() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
}

// abort stops a process whose start failed, quietly: the caller reports the start's error.
func (p *Process) abort() {
	p.ops.Lock()
	defer p.ops.Unlock()
	p.mu.Lock()
	r := p.cur
	p.mu.Unlock()
	select {
	case <-r.exited:
	default:
		_ = p.terminate(r)
	}
	p.setDown()
}

// KilledElsewhere accepts that the process was killed with SIGKILL by someone else on purpose
// (a test binary given its pid, say, which kills a member during a failover test): the process
// is marked down, as after Kill, so that it can be restarted. It is an error if the process is
// still running, or ended in any other way (that is a finding, not something to paper over).
func (p *Process) KilledElsewhere() error {
	p.ops.Lock()
	defer p.ops.Unlock()
	p.mu.Lock()
	r, down := p.cur, p.down
	p.mu.Unlock()
	if down {
		return fmt.Errorf("proc: %s is %w already", p.spec.Name, ErrDown)
	}
	select {
	case <-r.exited:
	default:
		return fmt.Errorf("proc: %s is still running", p.spec.Name)
	}
	var exit *exec.ExitError
	if !errors.As(r.err, &exit) {
		return fmt.Errorf("proc: %s exited by itself: %s\n%s", p.spec.Name, exitStatus(r.err), LogTails(p))
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		return fmt.Errorf("proc: %s exited by itself: %s\n%s", p.spec.Name, exitStatus(r.err), LogTails(p))
	}
	p.setDown()
	return nil
}

// Kill ends the running process with SIGKILL, as a power cut or an OOM kill would: it gets no
// chance to flush or close anything. It returns once the process is gone; it stays down until
// Restart.
func (p *Process) Kill() error {
	p.ops.Lock()
	defer p.ops.Unlock()
	if err := p.Check(); err != nil {
		return fmt.Errorf("kill: %w", err)
	}
	p.mu.Lock()
	r := p.cur
	p.mu.Unlock()
	defer p.setDown()
	return p.kill(r)
}

// Restart starts a process that is down (Stop, Kill) again, with the same binary and arguments:
// the same data directory and ports, so its endpoints stay valid. It waits until the process is
// ready, as Start does, and if it does not become so stops it and returns an error with the end
// of its output. A client connected before may take a moment to reconnect.
func (p *Process) Restart(ctx context.Context) error {
	p.ops.Lock()
	if err := p.restartable("Restart"); err != nil {
		p.ops.Unlock()
		return err
	}
	err := p.exec()
	p.ops.Unlock()
	if err != nil {
		return err
	}
	if err := p.waitReady(ctx); err != nil {
		p.abort()
		return p.startError("restart", err)
	}
	return nil
}

// RestartRefused starts a process that is down again, like Restart, for a caller that expects it
// to refuse to start (a server that cannot reuse its data): it waits until the process exits by
// itself and returns its exit status. It returns an error if the process exits with status 0,
// becomes ready instead, or does neither within the Ready timeout; the process is down again
// afterwards in every case.
func (p *Process) RestartRefused(ctx context.Context) (exitCode int, err error) {
	p.ops.Lock()
	if err := p.restartable("RestartRefused"); err != nil {
		p.ops.Unlock()
		return 0, err
	}
	err = p.exec()
	p.ops.Unlock()
	if err != nil {
		return 0, err
	}
	readyErr := p.waitReady(ctx)
	p.mu.Lock()
	r := p.cur
	p.mu.Unlock()
	select {
	case <-r.exited:
		p.setDown()
	default:
		p.abort()
		if readyErr == nil {
			return 0, p.startError("restart", errors.New("should have refused to start again, but it is serving"))
		}
		return 0, p.startError("restart", fmt.Errorf("should have refused to start again, but it neither exited nor became ready: %w", readyErr))
	}
	var exit *exec.ExitError
	switch {
	case r.err == nil:
		return 0, p.startError("restart", errors.New("refused to start again, as expected, but exited with status 0: a server that refuses to start must exit with a non-zero status"))
	case errors.As(r.err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode(), nil
	default:
		return 0, p.startError("restart", r.err)
	}
}

func (p *Process) restartable(what string) error {
	err := p.Check()
	if err == nil {
		return fmt.Errorf("proc: %s of %s, which is still running; Stop or Kill it first", what, p.spec.Name)
	}
	if !errors.Is(err, ErrDown) {
		// It died by itself: that is a finding for the caller, not something to paper over.
		return fmt.Errorf("proc: %s: %w\n%s", what, err, LogTails(p))
	}
	return nil
}

// waitReady waits until the process is ready, exits, or the Ready timeout or ctx ends.
func (p *Process) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, p.spec.readyTimeout(), fmt.Errorf("not ready within %v", p.spec.readyTimeout()))
	defer cancel()
	return WaitReady(ctx, p.spec.Endpoints, p.spec.Leader, p)
}

func (p *Process) startError(what string, err error) error {
	return fmt.Errorf("%s %s (%s): %w\n%s", what, p.spec.Name, p.Cmdline(), err, LogTails(p))
}

// LogTails is the end of the latest output of each process, each under a heading, for error
// messages.
func LogTails(procs ...*Process) string {
	var b strings.Builder
	for _, p := range procs {
		fmt.Fprintf(&b, "--- end of %s's output (%s) ---\n%s\n", p.spec.Name, p.LogPath(), p.Tail())
	}
	return b.String()
}

// TailFile is the end of the file at path: its last 8 KiB, starting at a line.
func TailFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read the log: %v)", err)
	}
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
		b = append([]byte("...\n"), b...)
	}
	if len(b) == 0 {
		return "(no output)"
	}
	return strings.TrimSuffix(string(b), "\n")
}
