package interop_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/require"
)

// TestChapter05ClientAgainstRealEtcd runs chapter 05's client suite, unchanged, against a
// three-process real etcd v3.6.16: the same assertions that pass against chapter 04's cluster
// (go test ./client/v3 in chapters/05-client) must pass against etcd. The suite is the
// chapter's own test binary: it cannot live here, for it links the chapter's proto packages,
// which no binary may link together with etcd's (see harness's doc). The binary takes the
// cluster from ETCDWALK_ENDPOINTS, and for the failover test the members' processes from
// ETCDWALK_PIDS: it kills the leader with SIGKILL during its 10 s load. The test then restarts
// the killed member and checks the cluster is whole again.
func TestChapter05ClientAgainstRealEtcd(t *testing.T) {
	t.Parallel()
	suite := harness.BuildTest(t, "etcdwalk/chapters/05-client/client/v3", true)
	etcd := harness.StartEtcdCluster(t, 3)
	var pids []string
	for _, m := range etcd.Members {
		pids = append(pids, fmt.Sprint(m.Proc().Pid()))
	}
	env := append(os.Environ(),
		"ETCDWALK_ENDPOINTS="+strings.Join(etcd.Endpoints, ","),
		"ETCDWALK_PIDS="+strings.Join(pids, ","))

	// Everything but the failover first: it leaves the cluster a member short.
	runSuite(t, suite, env, "-test.skip", "^TestFailover")
	runSuite(t, suite, env, "-test.run", "^TestFailover")

	var killed []int
	for i, m := range etcd.Members {
		if m.Proc().Check() != nil {
			killed = append(killed, i)
			require.NoError(t, m.Proc().KilledElsewhere(), "member %d should have been killed by the suite, and only so", i+1)
			m.Restart(t)
		}
	}
	require.Len(t, killed, 1, "the failover test kills exactly one member, the leader")
	etcd.WaitReady(t)
}

// runSuite runs the test binary and fails with its output if any test failed.
func runSuite(t *testing.T, bin string, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-test.count=1", "-test.v"}, args...)...)
	cmd.Env, cmd.Dir = env, t.TempDir()
	b, err := cmd.CombinedOutput()
	out := string(b)
	require.NoError(t, err, "chapter 05's suite %v against real etcd failed:\n%s", args, out)
	require.Contains(t, out, "--- PASS", "the suite ran no test: %s", out)
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "acknowledged writes") {
			t.Log(strings.TrimSpace(line))
		}
	}
}
