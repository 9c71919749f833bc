package walkthrough

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// terminal is one bash, as a reader's terminal window: it reads the commands of the doc one after
// the other and keeps its state between them (working directory, variables, exported or not),
// so a block runs exactly as it would when pasted. It runs in a process group of its own, so that
// Ctrl-C (SIGINT to the group) reaches whatever runs in it, as in a terminal, and nothing it
// starts outlives it.
//
// bash reads its commands from a pipe (fd 3), not from stdin: stdin is /dev/null, so a command
// that reads stdin (etcdctl txn without a here-document) gets an end of file instead of the
// following commands. After each command the terminal prints a marker with its exit status, so
// the output between two markers is that command's.
type terminal struct {
	name     string
	token    string // in the markers, so that no doc output can forge one
	cmd      *exec.Cmd
	script   *os.File // the write end of bash's command pipe
	guard    *os.File // the write end of the watchdog's pipe
	outR     *os.File // the read end of its output
	pgid     int
	exited   chan struct{} // closed when bash has exited
	readDone chan struct{} // closed when the output reader has returned

	mu      sync.Mutex
	out     []byte        // everything it printed, stdout and stderr interleaved
	changed chan struct{} // closed and replaced whenever out grows or the output ends
	eof     bool

	seq      int // markers printed so far
	lines    int // lines of script bash has been sent, for $LINENO
	consumed int // offset in out up to which commands have taken their output

	server *running // the server block running in it, or nil
}

// running is a block that has not finished: a server.
type running struct {
	seq  int
	line int // in the doc
	srv  *Server
}

// prologue makes bash a terminal for the checker:
//   - fd 3 (the command pipe) is not passed on to the commands;
//   - Ctrl-C stops what runs, not the terminal (a trap, unlike an ignored signal, is not
//     inherited by the commands);
//   - every command that fails prints its line and exit status (the ERR trap);
//   - a watchdog kills the terminal's whole process group once the test process is gone, even
//     if it was killed, so that no server outlives a crashed or timed-out test. It waits on fd 4,
//     a pipe whose other end only the test process holds: "exit" on it is a clean close, the end
//     of file is the test process gone. It forks nothing, so it leaves no orphan to reap. A
//     background job of a non-interactive shell ignores SIGINT, so Ctrl-C leaves it alone.
func prologue(token string) string {
	return `exec 3<&-
trap ':' INT
trap '__wt_s=$?; printf "__WTERR_` + token + ` %s %s\n" "$LINENO" "$__wt_s" >&2' ERR
(trap '' INT TERM; if read -r __wt_w <&4; then exit 0; fi; kill -KILL 0) </dev/null >/dev/null 2>&1 &
__wt_watchdog=$!
exec 4<&-
`
}

func newToken() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startTerminal starts a terminal in dir with the environment env.
func startTerminal(name, dir string, env []string) (*terminal, error) {
	scriptR, scriptW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	guardR, guardW, err := os.Pipe()
	if err != nil {
		scriptR.Close()
		scriptW.Close()
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		for _, f := range []*os.File{scriptR, scriptW, guardR, guardW} {
			f.Close()
		}
		return nil, err
	}
	t := &terminal{
		name: name, token: newToken(), script: scriptW, guard: guardW, outR: outR,
		exited: make(chan struct{}), readDone: make(chan struct{}), changed: make(chan struct{}),
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "/dev/fd/3")
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = outW, outW
	cmd.ExtraFiles = []*os.File{scriptR, guardR} // fd 3 and fd 4
	cmd.SysProcAttr = groupAttr()
	err = cmd.Start()
	scriptR.Close()
	guardR.Close()
	outW.Close()
	if err != nil {
		scriptW.Close()
		guardW.Close()
		outR.Close()
		return nil, fmt.Errorf("start bash for terminal %s: %w", name, err)
	}
	t.cmd, t.pgid = cmd, cmd.Process.Pid
	go t.read()
	go func() {
		_ = cmd.Wait()
		close(t.exited)
	}()
	if err := t.send(prologue(t.token)); err != nil {
		t.kill()
		return nil, err
	}
	return t, nil
}

// read copies bash's output into t.out until every writer has closed it.
func (t *terminal) read() {
	defer close(t.readDone)
	buf := make([]byte, 32<<10)
	for {
		n, err := t.outR.Read(buf)
		t.mu.Lock()
		t.out = append(t.out, buf[:n]...)
		if err != nil {
			t.eof = true
		}
		close(t.changed)
		t.changed = make(chan struct{})
		t.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// send writes script to bash and counts its lines.
func (t *terminal) send(script string) error {
	t.lines += strings.Count(script, "\n")
	if _, err := io.WriteString(t.script, script); err != nil {
		return fmt.Errorf("terminal %s: bash no longer reads its commands: %w", t.name, err)
	}
	return nil
}

// start sends a command (one or more lines) followed by its marker, and returns the marker's
// number and the script line the command starts on (bash's $LINENO for its first line).
func (t *terminal) start(command string) (seq, firstLine int, err error) {
	t.seq++
	firstLine = t.lines + 1
	// The marker keeps $? for the next command, as a prompt does; `&& :` keeps the ERR trap quiet.
	marker := fmt.Sprintf("__wt_rc=$?; printf '\\n__WTDONE_%s_%d %%s\\n' \"$__wt_rc\"; (exit \"$__wt_rc\") && :\n", t.token, t.seq)
	return t.seq, firstLine, t.send(strings.TrimSuffix(command, "\n") + "\n" + marker)
}

// find looks for marker seq in the output. It returns where the command's output ends, where
// the marker line ends, and the command's exit status.
func (t *terminal) find(seq int) (end, next, status int, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tag := fmt.Sprintf("\n__WTDONE_%s_%d ", t.token, seq)
	i := bytes.Index(t.out[t.consumed:], []byte(tag))
	if i < 0 {
		return 0, 0, 0, false
	}
	i += t.consumed
	rest := t.out[i+len(tag):]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return 0, 0, 0, false
	}
	status, _ = strconv.Atoi(string(rest[:nl]))
	return i, i + len(tag) + nl + 1, status, true
}

// done is closed once marker seq has been printed, or the output has ended.
func (t *terminal) done(ctx context.Context, seq int) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			t.mu.Lock()
			changed, eof := t.changed, t.eof
			t.mu.Unlock()
			if _, _, _, ok := t.find(seq); ok || eof {
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// errTimeout is a command that did not finish in time.
var errTimeout = errors.New("did not finish in time")

// errGone is a terminal whose bash has exited.
var errGone = errors.New("the terminal's bash has exited")

// result is what one command did.
type result struct {
	out    string   // what it printed, stdout and stderr as they came
	status int      // its exit status (of its last command, for a block)
	failed [][2]int // script line and exit status of every command that failed in it
}

var errMarkerRE = regexp.MustCompile(`__WTERR_([0-9a-f]+) (\d+) (\d+)\n`)

// wait waits for marker seq and takes the command's output.
func (t *terminal) wait(ctx context.Context, seq int) (result, error) {
	select {
	case <-t.done(ctx, seq):
	case <-ctx.Done():
	}
	end, next, status, ok := t.find(seq)
	if !ok {
		if ctx.Err() != nil {
			return result{out: t.pending()}, errTimeout
		}
		return result{out: t.pending()}, errGone
	}
	t.mu.Lock()
	out := string(t.out[t.consumed:end])
	t.consumed = next
	t.mu.Unlock()
	r := result{status: status}
	r.out = errMarkerRE.ReplaceAllStringFunc(out, func(m string) string {
		sm := errMarkerRE.FindStringSubmatch(m)
		if sm[1] != t.token {
			return m
		}
		line, _ := strconv.Atoi(sm[2])
		st, _ := strconv.Atoi(sm[3])
		r.failed = append(r.failed, [2]int{line, st})
		return ""
	})
	return r, nil
}

// pending is the output printed since the last command that finished.
func (t *terminal) pending() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return errMarkerRE.ReplaceAllString(string(t.out[t.consumed:]), "")
}

// tail is the end of everything the terminal printed, for messages.
func (t *terminal) tail(n int) string {
	t.mu.Lock()
	s := string(t.out)
	t.mu.Unlock()
	s = errMarkerRE.ReplaceAllString(s, "")
	s = regexp.MustCompile(`\n?__WTDONE_`+t.token+`_\d+ \d+\n`).ReplaceAllString(s, "\n")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// interrupt is Ctrl-C: SIGINT to everything in the terminal.
func (t *terminal) interrupt() { _ = syscall.Kill(-t.pgid, syscall.SIGINT) }

// kill ends everything in the terminal at once.
func (t *terminal) kill() {
	_ = syscall.Kill(-t.pgid, syscall.SIGKILL)
	t.script.Close()
}

// close ends the terminal as closing its window would, after its commands are done: the
// watchdog is told to exit and bash reaps it, then bash exits. Whatever is still running in the
// terminal's process group then is an error, which close reports after killing it. It leaves no
// process and no goroutine behind.
func (t *terminal) close(grace time.Duration) error {
	_, _ = io.WriteString(t.guard, "exit\n")
	t.guard.Close()
	_ = t.send("wait \"$__wt_watchdog\" 2>/dev/null; exit 0\n")
	t.script.Close()
	var errs []error
	select {
	case <-t.exited:
	case <-time.After(grace):
		errs = append(errs, fmt.Errorf("terminal %s: bash did not exit within %v of its last command", t.name, grace))
	}
	if left := groupMembers(t.pgid); len(left) > 0 {
		errs = append(errs, fmt.Errorf("terminal %s: processes were still running after the doc's end (a command left in the background?):\n%s", t.name, strings.Join(left, "\n")))
	}
	_ = syscall.Kill(-t.pgid, syscall.SIGKILL)
	select {
	case <-t.exited:
	case <-time.After(grace):
		errs = append(errs, fmt.Errorf("terminal %s: bash (pid %d) did not exit even after SIGKILL", t.name, t.pgid))
	}
	select {
	case <-t.readDone:
	case <-time.After(grace):
		// A process outside the group still holds the output open: stop reading.
		t.outR.Close()
		<-t.readDone
		errs = append(errs, fmt.Errorf("terminal %s: something outside its process group still writes to it", t.name))
	}
	t.outR.Close()
	return errors.Join(errs...)
}
