package proc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// startAttempts is how often a start is tried when another process took a port between
// FreePorts choosing it and the server binding it.
const startAttempts = 3

// ServerConfig describes one of our chapter servers: one process, serving one member, or
// (Cluster) every member of a cluster that lives in the one process (chapters 03 and 04).
type ServerConfig struct {
	Name string
	Bin  string
	// Cluster: the server runs Members members in its one process. It gets one client URL per
	// member, comma-separated, in --listen-client-urls and no --advertise-client-urls, and is
	// ready once every member answers and names the same leader. Without Cluster the server gets
	// one URL in --listen-client-urls and --advertise-client-urls, and Members must be 0 or 1.
	Cluster bool
	Members int
	// Args follow the URL flags. A --data-dir, if the server takes one, is the caller's to pass.
	Args   []string
	LogDir string
	Timeouts
}

// StartServer starts a chapter server on free 127.0.0.1 ports and waits until it is ready. The
// server must exit with status 0 on SIGTERM.
func StartServer(ctx context.Context, cfg ServerConfig) (*Process, error) {
	members := cfg.Members
	switch {
	case cfg.Cluster && members < 1:
		return nil, fmt.Errorf("proc: server %s: a cluster needs at least one member, not %d", cfg.Name, members)
	case !cfg.Cluster && members > 1:
		return nil, fmt.Errorf("proc: server %s: %d members in one process need Cluster", cfg.Name, members)
	case !cfg.Cluster:
		members = 1
	}
	var p *Process
	err := retryOnTakenPort(func() error {
		ports, err := FreePorts(members)
		if err != nil {
			return err
		}
		urls := localURLs(ports)
		p, err = Start(ctx, Spec{
			Name:      cfg.Name,
			Bin:       cfg.Bin,
			Args:      append(serverFlags(urls, cfg.Cluster), cfg.Args...),
			Endpoints: urls,
			Leader:    cfg.Cluster,
			CleanExit: true,
			LogDir:    cfg.LogDir,
			Timeouts:  cfg.Timeouts,
		})
		return err
	}, nil)
	return p, err
}

// ClusterConfig describes a cluster of one process per member, every member started with
// etcd's clustering flags: real etcd, or a server of ours that takes the same flags.
type ClusterConfig struct {
	// Name names the members Name1 ... NameN ("etcd1"); the member of a one-member cluster is
	// Name itself.
	Name    string
	Bin     string
	Members int
	// Dir holds member NAME's data directory, Dir/NAME.etcd, and its logs.
	Dir string
	// Args follow the clustering flags for every member; MemberArgs(i), if set, follow them for
	// member i (0-based).
	Args       []string
	MemberArgs func(i int) []string
	// CleanExit requires every member to exit with status 0 on SIGTERM (our servers; not etcd).
	CleanExit bool
	Timeouts
}

// Cluster is a running cluster of one process per member.
type Cluster struct {
	// Members are the members' processes, in --initial-cluster's order. Each one can be stopped,
	// killed and restarted on its own; a restarted member keeps its data directory and ports.
	Members  []*Process
	dataDirs []string
	timeouts Timeouts
}

// EtcdCluster is the ClusterConfig of a fresh real etcd of members members in dir, with
// error-level logging and etcd's defaults otherwise (heartbeat 100 ms, election timeout 1 s, ...).
// bin is the EtcdPackage binary. Adjust it (Args, Timeouts) before passing it to StartCluster.
func EtcdCluster(bin string, members int, dir string) ClusterConfig {
	return ClusterConfig{
		Name: "etcd", Bin: bin, Members: members, Dir: dir,
		Args: []string{"--log-level", "error"},
		// A leader that gets SIGTERM tries for up to 7 s to hand over its leadership before it
		// exits (Cluster.Stop avoids that wait where it can tell the leader).
		Timeouts: Timeouts{Stop: 10 * time.Second},
	}
}

// StartCluster starts every member on free 127.0.0.1 client and peer ports, each with a fresh
// data directory, and waits until every member answers a Get and names the same leader. The
// members start together: a new cluster serves only once a majority has met. If any member
// fails to start, every member is stopped and the error holds the end of every member's output.
func StartCluster(ctx context.Context, cfg ClusterConfig) (*Cluster, error) {
	if cfg.Members < 1 || cfg.Name == "" || cfg.Bin == "" || cfg.Dir == "" {
		return nil, fmt.Errorf("proc: ClusterConfig needs Name, Bin, Dir and at least one member (got %q, %q, %q, %d)",
			cfg.Name, cfg.Bin, cfg.Dir, cfg.Members)
	}
	names := make([]string, cfg.Members)
	dataDirs := make([]string, cfg.Members)
	for i := range names {
		names[i] = cfg.Name
		if cfg.Members > 1 {
			names[i] += strconv.Itoa(i + 1)
		}
		dataDirs[i] = filepath.Join(cfg.Dir, names[i]+".etcd")
		// etcd would take an existing directory for a member to restart, not a new one.
		switch _, err := os.Stat(dataDirs[i]); {
		case err == nil:
			return nil, fmt.Errorf("proc: start %s: the data directory of a new member, %s, exists already", cfg.Name, dataDirs[i])
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("proc: start %s: %w", cfg.Name, err)
		}
	}
	var c *Cluster
	err := retryOnTakenPort(func() error {
		ports, err := FreePorts(2 * cfg.Members)
		if err != nil {
			return err
		}
		clientURLs, peerURLs := localURLs(ports[:cfg.Members]), localURLs(ports[cfg.Members:])
		// A port is held by one process at a time, so no two clusters running together share
		// this token.
		token := cfg.Name + "-" + strconv.Itoa(ports[0])
		c = &Cluster{dataDirs: dataDirs, timeouts: cfg.Timeouts}
		for i := range names {
			args := append(memberFlags(i, token, names, dataDirs, clientURLs, peerURLs), cfg.Args...)
			if cfg.MemberArgs != nil {
				args = append(args, cfg.MemberArgs(i)...)
			}
			p, err := launch(Spec{
				Name:      names[i],
				Bin:       cfg.Bin,
				Args:      args,
				Endpoints: clientURLs[i : i+1],
				// Alone, a member is ready once it knows a leader; WaitReady below requires the
				// same one on all.
				Leader:    true,
				CleanExit: cfg.CleanExit,
				LogDir:    cfg.Dir,
				Timeouts:  cfg.Timeouts,
			})
			if err != nil {
				c.abort()
				return err
			}
			c.Members = append(c.Members, p)
		}
		if err := c.WaitReady(ctx); err != nil {
			c.abort()
			return fmt.Errorf("start %s: %w\n%s", cfg.Name, err, LogTails(c.Members...))
		}
		return nil
	}, func() {
		// A failed attempt may have left half-made members; the next one starts afresh.
		for _, dir := range dataDirs {
			os.RemoveAll(dir)
		}
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// serverFlags are the URL flags of one of our servers: a cluster server takes one client URL per
// member and advertises nothing (it has no peers outside its process).
func serverFlags(urls []string, cluster bool) []string {
	flags := []string{"--listen-client-urls", strings.Join(urls, ",")}
	if !cluster {
		flags = append(flags, "--advertise-client-urls", urls[0])
	}
	return flags
}

// memberFlags are etcd's flags for member i of a new cluster with one process per member. Each
// member names every other in --initial-cluster; a member restarted with the same flags finds its
// data directory and ignores the --initial-* ones, as etcd does.
func memberFlags(i int, token string, names, dataDirs, clientURLs, peerURLs []string) []string {
	initial := make([]string, len(names))
	for j := range names {
		initial[j] = names[j] + "=" + peerURLs[j]
	}
	return []string{
		"--name", names[i],
		"--data-dir", dataDirs[i],
		"--listen-client-urls", clientURLs[i],
		"--advertise-client-urls", clientURLs[i],
		"--listen-peer-urls", peerURLs[i],
		"--initial-advertise-peer-urls", peerURLs[i],
		"--initial-cluster", strings.Join(initial, ","),
		"--initial-cluster-state", "new",
		// A token of its own per cluster: a member of one cluster that reaches a peer port now
		// reused by another cluster's member is refused instead of joining it.
		"--initial-cluster-token", token,
	}
}

// Endpoints are the members' client URLs, in Members' order.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.Members))
	for i, m := range c.Members {
		eps[i] = m.Endpoint()
	}
	return eps
}

// DataDir is member i's data directory.
func (c *Cluster) DataDir(i int) string { return c.dataDirs[i] }

// WaitReady waits until every running member answers a Get and all of them name the same
// leader, within the Ready timeout. Members that are down are left out; one that exits by
// itself while waiting ends the wait with an error.
func (c *Cluster) WaitReady(ctx context.Context) error {
	ready := c.timeouts.readyTimeout()
	ctx, cancel := context.WithTimeoutCause(ctx, ready, fmt.Errorf("not ready within %v", ready))
	defer cancel()
	var running []*Process
	var endpoints []string
	for _, m := range c.Members {
		if err := m.Check(); err == nil || !errors.Is(err, ErrDown) {
			running = append(running, m)
			endpoints = append(endpoints, m.Endpoint())
		}
	}
	if len(running) == 0 {
		return errors.New("no member is running")
	}
	return WaitReady(ctx, endpoints, true, running...)
}

// Leader is the index in Members of the member that leads, as the running members report it
// in a Maintenance Status. It is an error if they name none, or different ones, or a member
// that is down.
func (c *Cluster) Leader(ctx context.Context) (int, error) {
	ids := make(map[uint64]int) // member ID -> index
	var leaders []uint64
	for i, m := range c.Members {
		if m.Check() != nil {
			continue
		}
		st, err := status(ctx, m.Endpoint())
		if err != nil {
			return -1, fmt.Errorf("%s: %w", m.Name(), err)
		}
		ids[st.Header.MemberId] = i
		leaders = append(leaders, st.Leader)
	}
	if len(leaders) == 0 {
		return -1, errors.New("no member is running")
	}
	for _, l := range leaders {
		if l != leaders[0] {
			return -1, fmt.Errorf("the members name different leaders: %x", leaders)
		}
	}
	i, ok := ids[leaders[0]]
	if !ok {
		return -1, fmt.Errorf("the leader, %x, is none of the running members", leaders[0])
	}
	return i, nil
}

// Stop stops every member and returns the errors of their Stops. Where it can tell the leader,
// it stops the followers first, at once, then the leader: a leader that gets SIGTERM hands its
// leadership to a follower first, and waits up to etcd's request timeout (7 s) for a follower
// that is shutting down itself, while with its followers gone it stops at once.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	leader, err := c.Leader(ctx)
	cancel()
	var last *Process
	if err == nil {
		last = c.Members[leader]
	}
	errs := make([]error, len(c.Members))
	var wg sync.WaitGroup
	for i, m := range c.Members {
		if m != last {
			wg.Go(func() { errs[i] = m.Stop() })
		}
	}
	wg.Wait()
	if last != nil {
		errs[leader] = last.Stop()
	}
	return errors.Join(errs...)
}

// abort stops the members of a failed start, quietly.
func (c *Cluster) abort() {
	var wg sync.WaitGroup
	for _, m := range c.Members {
		wg.Go(m.abort)
	}
	wg.Wait()
}

// retryOnTakenPort runs start up to startAttempts times while it fails because a port was
// taken (the failing server's output, which the error holds, says "address already in use"),
// calling cleanup between attempts.
func retryOnTakenPort(start func() error, cleanup func()) error {
	for attempt := 1; ; attempt++ {
		err := start()
		if err == nil || attempt == startAttempts || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
		if cleanup != nil {
			cleanup()
		}
	}
}

// FreePorts asks the kernel for n unused ports on 127.0.0.1. They are free when it returns, not
// reserved: another process may take one before the server binds it, which the Start functions
// handle by trying again on new ports.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	// All listeners stay open until the end, so the kernel hands out n different ports.
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

func localURLs(ports []int) []string {
	urls := make([]string, len(ports))
	for i, port := range ports {
		urls[i] = "http://127.0.0.1:" + strconv.Itoa(port)
	}
	return urls
}
