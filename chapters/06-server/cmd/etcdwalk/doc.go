// Command etcdwalk is one etcd member in a process of its own: chapter 06's complete server. It
// takes etcd's flags, with etcd's defaults and ETCD_* variables, so a script that starts a
// three-member etcd cluster starts etcdwalk with only the binary swapped:
//
//	etcdwalk --name m1 --data-dir /tmp/ew/m1 \
//	  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
//	  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
//	  --initial-cluster m1=http://127.0.0.1:2380,m2=http://127.0.0.1:22380,m3=http://127.0.0.1:32380 \
//	  --initial-cluster-token etcdwalk-cluster --initial-cluster-state new
//
// and the same for m2 and m3 on their ports. Once a member serves, it logs "ready to serve client
// requests", as etcd does; then etcdctl works against it:
//
//	etcdctl --endpoints=http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379 member list -w table
//
// A member killed with SIGKILL and started again with the same flags comes back from its WAL and
// snapshot with every write it acknowledged. An etcd flag etcdwalk does not act on is refused by
// name (exit status 2); etcdwalk --help lists the flags it supports.
//
// Layer: the process (etcd's main.go and etcdmain). Everything is in package etcdmain: Main parses
// the command line, embed.StartEtcd starts the member, and the process serves until SIGINT or
// SIGTERM.
package main
