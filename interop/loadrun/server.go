package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"etcdwalk/interop/proc"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// timeouts are longer than proc's defaults for stopping: a server that has just taken a minute
// of load may have a backlog to flush.
var timeouts = proc.Timeouts{Stop: 10 * time.Second}

// server is what one round measures: a fresh deployment of one side of the comparison. It is
// one process (single-member etcd, chapter 02, or chapter 03's whole cluster) or several (a real
// etcd cluster, one process per member), with the client URLs of all its members.
type server struct {
	name      string
	endpoints []string // one client URL per member, http://127.0.0.1:PORT
	procs     []*proc.Process
	cluster   *proc.Cluster // one process per member (real etcd, chapter 06); nil otherwise
	stopAll   func() error
	dataDirs  []string // removed by stop; the logs stay in the work directory until the run ends
}

// startEtcd starts a fresh real etcd of members members, one process each, in a directory of its
// own under workDir, with etcd's defaults but for the log level.
func startEtcd(ctx context.Context, bin, workDir string, members int) (*server, error) {
	return startMembers(ctx, bin, workDir, "etcd", members, false)
}

// startOursMembers starts a fresh cluster of one of our servers that takes etcd's flags (chapter
// 06's etcdwalk), exactly as startEtcd starts real etcd: the same flags, members named ours1 ...
// oursN. Unlike etcd, ours must exit with status 0 on SIGTERM.
func startOursMembers(ctx context.Context, bin, workDir string, members int) (*server, error) {
	return startMembers(ctx, bin, workDir, "ours", members, true)
}

func startMembers(ctx context.Context, bin, workDir, name string, members int, cleanExit bool) (*server, error) {
	dir, err := os.MkdirTemp(workDir, name+"-")
	if err != nil {
		return nil, err
	}
	cfg := proc.EtcdCluster(bin, members, dir)
	cfg.Name, cfg.CleanExit, cfg.Timeouts = name, cleanExit, timeouts
	c, err := proc.StartCluster(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &server{name: name, endpoints: c.Endpoints(), procs: c.Members, cluster: c, stopAll: c.Stop}
	for i := range c.Members {
		s.dataDirs = append(s.dataDirs, c.DataDir(i))
	}
	return s, nil
}

// startOurs starts one of our chapter servers with its defaults, in a directory of its own under
// workDir: one member, or for a cluster server every member (one client URL each) in the one
// process, which puts the members' directories under its --data-dir.
func startOurs(ctx context.Context, bin, workDir, name string, members int, cluster bool) (*server, error) {
	dir, err := os.MkdirTemp(workDir, name+"-")
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "data")
	args := []string{"--data-dir", dataDir}
	if !cluster {
		args = append(args, "--name", name)
	}
	p, err := proc.StartServer(ctx, proc.ServerConfig{
		Name: name, Bin: bin, Cluster: cluster, Members: members, Args: args, LogDir: dir, Timeouts: timeouts,
	})
	if err != nil {
		return nil, err
	}
	return &server{name: name, endpoints: p.Endpoints(), procs: []*proc.Process{p}, stopAll: p.Stop, dataDirs: []string{dataDir}}, nil
}

func client(endpoints ...string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// put writes key=value once, through the official client.
func (s *server) put(ctx context.Context, key, value string) error {
	cli, err := client(s.endpoints...)
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = cli.Put(ctx, key, value)
	return err
}

// stop stops every process at once and removes the data directories. A server that had to be
// killed, or (ours) exits with another status than 0, is an error.
func (s *server) stop() error {
	err := s.stopAll()
	for _, dir := range s.dataDirs {
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
	}
	return err
}

// leader is the index in procs of the member that leads, or -1 where it cannot be told (one
// process, or the members disagree).
func (s *server) leader(ctx context.Context) int {
	if s.cluster == nil {
		return -1
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	i, err := s.cluster.Leader(ctx)
	if err != nil {
		return -1
	}
	return i
}

// cpu is the CPU time all the server's processes have used so far; false where it cannot be read.
func (s *server) cpu() (time.Duration, bool) {
	var sum time.Duration
	for _, p := range s.procs {
		d, ok := p.CPUTime()
		if !ok {
			return 0, false
		}
		sum += d
	}
	return sum, true
}

// logTail is the end of every process's log, for error messages.
func (s *server) logTail() string { return proc.LogTails(s.procs...) }
