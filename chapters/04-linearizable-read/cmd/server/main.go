package main

import (
	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/03-propose-wait/cluster"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/transport"
	readindex "etcdwalk/chapters/04-linearizable-read/etcdserver"
)

func main() { serve.Main(run) }

func run(args []string) error {
	return cluster.Command[*readindex.EtcdServer]{
		About:   "Chapter 04-linearizable-read: an in-process raft cluster whose default reads are linearizable on every member (ReadIndex).",
		TempDir: "etcdwalk-04-",
		NewMember: func(cfg etcdserver.ServerConfig, net transport.Joiner) (*readindex.EtcdServer, error) {
			return readindex.NewServer(cfg, net)
		},
	}.Run(args)
}
