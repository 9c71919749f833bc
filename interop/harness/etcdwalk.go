package harness

import (
	"testing"

	"etcdwalk/interop/proc"
)

// EtcdwalkPackage is chapter 06's complete server: one etcd member per process, taking etcd's
// flags, so proc.StartCluster starts it with the same clustering flags as real etcd.
const EtcdwalkPackage = "etcdwalk/chapters/06-server/cmd/etcdwalk"

// EtcdwalkCluster is the proc.ClusterConfig of a fresh etcdwalk cluster of members members in
// dir, the binary built with the race detector (as every chapter server here is), named
// etcdwalk1 ... etcdwalkN. Unlike real etcd, etcdwalk exits with status 0 on SIGTERM, which
// CleanExit requires. Adjust it (Name, Args, MemberArgs, Timeouts) before passing it to
// StartMembers.
func EtcdwalkCluster(t testing.TB, members int, dir string) proc.ClusterConfig {
	t.Helper()
	return proc.ClusterConfig{
		Name: "etcdwalk", Bin: Build(t, EtcdwalkPackage, true), Members: members, Dir: dir,
		CleanExit: true,
	}
}

// StartMembers starts a cluster of one process per member from cfg (proc.EtcdCluster's for
// real etcd, EtcdwalkCluster's for ours), as StartEtcdCluster does: it returns once every member
// answers a Get and names the same leader, stops every member when the test ends, and prints
// the end of every run's output of every member if the test failed.
func StartMembers(t testing.TB, cfg proc.ClusterConfig) *Cluster {
	t.Helper()
	pc, err := proc.StartCluster(t.Context(), cfg)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	c := &Cluster{Endpoints: pc.Endpoints(), c: pc}
	for _, m := range pc.Members {
		c.Members = append(c.Members, wrap(m))
	}
	t.Cleanup(func() {
		if err := pc.Stop(); err != nil {
			t.Errorf("harness: %v", err)
		}
		if t.Failed() {
			for _, m := range pc.Members {
				logOutput(t, m)
			}
		}
	})
	return c
}
