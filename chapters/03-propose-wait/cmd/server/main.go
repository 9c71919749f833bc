package main

import (
	"etcdwalk/chapters/01-rpc/pkg/serve"
	"etcdwalk/chapters/03-propose-wait/cluster"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
)

func main() { serve.Main(run) }

func run(args []string) error {
	return cluster.Command[*etcdserver.EtcdServer]{
		About:     "Chapter 03-propose-wait: an in-process raft cluster; every write is proposed, committed and applied.",
		TempDir:   "etcdwalk-03-",
		NewMember: cluster.NewServer,
	}.Run(args)
}
