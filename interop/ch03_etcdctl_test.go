package interop_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endpointStatus is one element of what `etcdctl endpoint status -w json` prints.
type endpointStatus struct {
	Endpoint string
	Status   struct {
		Header struct {
			MemberID uint64 `json:"member_id"`
		} `json:"header"`
		Leader uint64 `json:"leader"`
	}
}

// memberListJSON is what `etcdctl member list -w json` prints (the fields this test reads).
type memberListJSON struct {
	Members []struct {
		ID         uint64   `json:"ID"`
		Name       string   `json:"name"`
		ClientURLs []string `json:"clientURLs"`
		IsLearner  bool     `json:"isLearner"`
	} `json:"members"`
}

// TestChapter03Etcdctl is chapter 03's acceptance, with the real etcdctl: a put through a
// follower is read back from the other two members; a txn goes through the other follower and a
// delete through the leader, each read back elsewhere; `member list` shows the three members and
// `endpoint status --cluster` finds them all, with exactly one leader. Every command that does
// not print something member-specific (IDs, sizes, raft indexes) is also run against a real etcd
// and must print exactly the same.
//
// A member answers a read from its own store (no ReadIndex in chapter 03), so one that did not
// handle a write may not have applied it yet when etcdctl asks: reads on other members are
// retried until they show the write, for up to ch03CatchUp.
func TestChapter03Etcdctl(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcd(t)
	ours := startCh03(t)
	all := strings.Join(ours.Endpoints, ",")

	// Who leads: `endpoint status` on all three members.
	out, errOut, code := harness.Etcdctl(t, all, "", "endpoint", "status", "-w", "json")
	require.Zero(t, code, "etcdctl endpoint status on %s should succeed; stderr:\n%s", all, errOut)
	var statuses []endpointStatus
	require.NoError(t, json.Unmarshal([]byte(out), &statuses), "endpoint status -w json should print a JSON array:\n%s", out)
	require.Len(t, statuses, ch03Members, "endpoint status should report every endpoint it was given:\n%s", out)
	ids := map[string]uint64{} // endpoint → member ID
	leader, followers := "", []string(nil)
	for _, st := range statuses {
		require.NotZero(t, st.Status.Header.MemberID, "%s reports no member ID:\n%s", st.Endpoint, out)
		require.Equal(t, statuses[0].Status.Leader, st.Status.Leader, "every member should name the same leader:\n%s", out)
		ids[st.Endpoint] = st.Status.Header.MemberID
		if st.Status.Leader == st.Status.Header.MemberID {
			require.Empty(t, leader, "two members call themselves the leader:\n%s", out)
			leader = st.Endpoint
		} else {
			followers = append(followers, st.Endpoint)
		}
	}
	require.NotEmpty(t, leader, "no member is the leader its peers name:\n%s", out)
	require.Len(t, ids, ch03Members, "the members should have distinct endpoints:\n%s", out)
	require.Len(t, followers, ch03Members-1)
	f1, f2 := followers[0], followers[1]
	t.Logf("leader %s, followers %s and %s", leader, f1, f2)
	others := func(ep string) []string {
		return slices.DeleteFunc(slices.Clone(ours.Endpoints), func(e string) bool { return e == ep })
	}

	// same runs a command against real etcd and against member ep, and requires the same output.
	same := func(t *testing.T, ep, stdin string, args ...string) string {
		t.Helper()
		return etcdctlSame(t, etcd.Endpoint, "chapter 03", ep, stdin, args...)
	}
	// readBack runs a read against real etcd, then against each of eps until it prints the same
	// (that member has applied the write before it), for up to ch03CatchUp.
	readBack := func(t *testing.T, eps []string, args ...string) {
		t.Helper()
		cmdline := etcdctlCmdline(args, "")
		wantOut, wantErr, wantCode := harness.Etcdctl(t, etcd.Endpoint, "", args...)
		require.Zero(t, wantCode, "%s against real etcd: %s", cmdline, wantErr)
		if writeOut(args) == "json" {
			var err error
			wantOut, err = harness.NormalizeJSON(wantOut)
			require.NoError(t, err, "%s against real etcd", cmdline)
		}
		for _, ep := range eps {
			var gotOut, gotErr string
			d := eventually(ch03CatchUp, func() string {
				var code int
				gotOut, gotErr, code = harness.Etcdctl(t, ep, "", args...)
				if code != 0 {
					return "exit status " + fmt.Sprint(code)
				}
				if writeOut(args) == "json" {
					var err error
					if gotOut, err = harness.NormalizeJSON(gotOut); err != nil {
						return err.Error()
					}
				}
				if gotOut != wantOut {
					return "different output"
				}
				return ""
			})
			assert.Empty(t, d, "%s against member %s should print what real etcd prints within %v, once the member has applied the write; its last answer:\nstdout:\n%s\nstderr:\n%s\nreal etcd's:\n%s",
				cmdline, ep, ch03CatchUp, gotOut, gotErr, wantOut)
		}
	}

	t.Run("put through a follower, read from the other members", func(t *testing.T) {
		require.Equal(t, "OK\n", same(t, f1, "", "put", "foo", "bar"), "etcdctl put against real etcd") // rev 2
		readBack(t, others(f1), "get", "foo")
		readBack(t, ours.Endpoints, "get", "foo", "-w", "json")
	})

	t.Run("member list shows the three members", func(t *testing.T) {
		var first string
		for _, ep := range ours.Endpoints {
			out, errOut, code := harness.Etcdctl(t, ep, "", "member", "list")
			require.Zero(t, code, "etcdctl member list against %s; stderr:\n%s", ep, errOut)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			require.Len(t, lines, ch03Members, "member list against %s should print one line per member:\n%s", ep, out)
			for _, line := range lines {
				assert.Contains(t, line, ", started, ", "member list against %s: every member is started:\n%s", ep, out)
			}
			if first == "" {
				first = out
			}
			assert.Equal(t, first, out, "member list should print the same against every member")
		}

		out, errOut, code := harness.Etcdctl(t, f2, "", "member", "list", "-w", "json")
		require.Zero(t, code, "etcdctl member list -w json; stderr:\n%s", errOut)
		var ml memberListJSON
		require.NoError(t, json.Unmarshal([]byte(out), &ml), "member list -w json:\n%s", out)
		require.Len(t, ml.Members, ch03Members, "member list -w json:\n%s", out)
		var names []string
		for _, m := range ml.Members {
			require.Len(t, m.ClientURLs, 1, "member %s has one client URL (member list -w json:\n%s)", m.Name, out)
			ep := m.ClientURLs[0]
			i := slices.Index(ours.Endpoints, ep)
			require.GreaterOrEqual(t, i, 0, "member %s's client URL %s is none of the cluster's (member list -w json:\n%s)", m.Name, ep, out)
			assert.Equal(t, fmt.Sprintf("infra%d", i+1), m.Name, "the member on the %d. URL of --listen-client-urls (member list -w json:\n%s)", i+1, out)
			assert.Equal(t, ids[ep], m.ID, "member %s's ID should be the member_id its endpoint reports in its headers (member list -w json:\n%s)", m.Name, out)
			assert.False(t, m.IsLearner, "member %s is a voter", m.Name)
			names = append(names, m.Name)
		}
		slices.Sort(names)
		assert.Equal(t, []string{"infra1", "infra2", "infra3"}, names, "member list -w json:\n%s", out)
	})

	t.Run("endpoint status --cluster finds every member and one leader", func(t *testing.T) {
		out, errOut, code := harness.Etcdctl(t, f2, "", "endpoint", "status", "--cluster", "-w", "table")
		require.Zero(t, code, "etcdctl endpoint status --cluster -w table; stderr:\n%s", errOut)
		rows := tableRows(out)
		require.Len(t, rows, ch03Members+1, "endpoint status --cluster should print a header row and one row per member:\n%s", out)
		col := slices.Index(rows[0], "IS LEADER")
		require.GreaterOrEqual(t, col, 0, "endpoint status -w table should have an IS LEADER column:\n%s", out)
		var leaders, eps []string
		for _, row := range rows[1:] {
			require.Len(t, row, len(rows[0]), "a row of endpoint status -w table:\n%s", out)
			eps = append(eps, row[0])
			switch row[col] {
			case "true":
				leaders = append(leaders, row[0])
			case "false":
			default:
				t.Errorf("IS LEADER should be true or false, not %q:\n%s", row[col], out)
			}
		}
		assert.ElementsMatch(t, ours.Endpoints, eps, "endpoint status --cluster should find every member's client URL through member list:\n%s", out)
		assert.Equal(t, []string{leader}, leaders, "exactly one member, the leader, should say IS LEADER true:\n%s", out)
	})

	t.Run("txn through the other follower", func(t *testing.T) {
		same(t, f2, "value(\"foo\") = \"bar\"\n\nput foo2 baz\nget foo\n\nput foo2 nope\n\n", "txn") // rev 3
		readBack(t, others(f2), "get", "foo2")
		same(t, f2, "mod(\"foo\") > \"2\"\n\nput never x\n\nget foo2\n\n", "txn", "-w", "json") // reads only: not proposed
		same(t, f2, "\nput foo3 a\nput foo3 b\n\n\n", "txn")                                    // refused: duplicate key
	})

	t.Run("delete through the leader", func(t *testing.T) {
		require.Equal(t, "1\nfoo\nbar\n", same(t, leader, "", "del", "foo", "--prev-kv"), "etcdctl del against real etcd") // rev 4
		readBack(t, others(leader), "get", "", "--from-key")
		readBack(t, ours.Endpoints, "get", "", "--from-key", "-w", "json")
	})

	t.Run("errors and history through a follower", func(t *testing.T) {
		same(t, f1, "", "put", "nokey", "--ignore-value")
		same(t, f1, "", "put", "foo2", "x", "--lease=1")
		same(t, f1, "", "compaction", "3") // rev 4 stays
		same(t, f1, "", "get", "foo", "--rev=2")
		same(t, f1, "", "get", "foo2", "--rev=3", "-w", "json")
		same(t, f1, "", "compaction", "5")
	})
}

// etcdctlSame runs one etcdctl command (args, with stdin) against real etcd at etcdEP and against
// member ep of ours (named for messages: "chapter 03"), and requires the same exit status, the
// same output (with -w json, after NormalizeJSON) and the same errors. It returns real etcd's
// output.
func etcdctlSame(t *testing.T, etcdEP, ours, ep, stdin string, args ...string) string {
	t.Helper()
	cmdline := etcdctlCmdline(args, stdin)
	wantOut, wantErr, wantCode := harness.Etcdctl(t, etcdEP, stdin, args...)
	gotOut, gotErr, gotCode := harness.Etcdctl(t, ep, stdin, args...)
	if writeOut(args) == "json" && wantCode == 0 {
		var err error
		wantOut, err = harness.NormalizeJSON(wantOut)
		require.NoError(t, err, "%s against real etcd", cmdline)
		gotOut, err = harness.NormalizeJSON(gotOut)
		require.NoError(t, err, "%s against %s's member %s should print JSON", cmdline, ours, ep)
	}
	assert.Equal(t, wantCode, gotCode, "%s against member %s: exit status (stderr: %s)", cmdline, ep, gotErr)
	assert.Equal(t, wantOut, gotOut, "%s against member %s: %s's output (+) should equal real etcd's (-)", cmdline, ep, ours)
	assert.Equal(t, wantErr, gotErr, "%s against member %s: %s's errors (+) should equal real etcd's (-)", cmdline, ep, ours)
	return wantOut
}

// etcdctlCmdline is how a failure message shows an etcdctl command.
func etcdctlCmdline(args []string, stdin string) string {
	s := "etcdctl " + strings.Join(args, " ")
	if stdin != "" {
		s += fmt.Sprintf(" <<< %q", stdin)
	}
	return s
}

// tableRows splits what etcdctl prints with -w table into rows of trimmed cells, the header row
// first, leaving out the +---+ rules.
func tableRows(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	return rows
}
