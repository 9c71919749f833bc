package interop_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"etcdwalk/interop/harness"
	"etcdwalk/interop/proc"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// ctlCluster is what the etcdctl comparison knows of one of the two clusters: its members'
// names, client URLs, IDs and peer URLs, and how their output names them once normalized.
type ctlCluster struct {
	name      string // "real etcd", "chapter 06", for messages
	endpoints []string
	ids       map[uint64]string // member ID → member name
	clusterID uint64
	repl      *strings.Replacer // URLs and hex IDs → <client etcd1>, <peer etcd1>, <id etcd1>
}

// newCtlCluster asks every member of c for its Status (its ID, the cluster's) and the first for
// the member list (the peer URLs).
func newCtlCluster(t *testing.T, name string, c *harness.Cluster) *ctlCluster {
	t.Helper()
	cc := &ctlCluster{name: name, endpoints: c.Endpoints, ids: map[uint64]string{}}
	var pairs []string
	for _, m := range c.Members {
		st, err := pb.NewMaintenanceClient(harness.Dial(t, m.Endpoint)).Status(ctxWithTimeout(t), &pb.StatusRequest{})
		require.NoError(t, err, "%s: Status of %s", name, m.Name)
		cc.ids[st.Header.MemberId] = m.Name
		cc.clusterID = st.Header.ClusterId
		pairs = append(pairs, m.Endpoint, "<client "+m.Name+">", fmt.Sprintf("%x", st.Header.MemberId), "<id "+m.Name+">")
	}
	ml, err := pb.NewClusterClient(harness.Dial(t, c.Endpoints[0])).MemberList(ctxWithTimeout(t), &pb.MemberListRequest{})
	require.NoError(t, err, "%s: MemberList", name)
	for _, m := range ml.Members {
		for _, u := range m.PeerURLs {
			pairs = append(pairs, u, "<peer "+m.Name+">")
		}
	}
	cc.repl = strings.NewReplacer(pairs...)
	return cc
}

// What differs between any two clusters, or between real etcd and chapter 06 by design, and is
// blanked in what etcdctl prints (table columns, JSON keys): the version (real etcd reports its
// own, 3.6.16; chapter 06 the API version it speaks, 3.6.0, and no storage version), the sizes
// of the bbolt files, the raft term and indexes (real etcd commits more entries as it starts),
// which member won the election, and how long a health check took.
var (
	ctlBlankColumns = []string{"VERSION", "STORAGE VERSION", "DB SIZE", "IN USE", "PERCENTAGE NOT IN USE",
		"IS LEADER", "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "TOOK"}
	ctlBlankKeys = []string{"version", "storageVersion", "dbSize", "dbSizeInUse", "leader",
		"raftTerm", "raft_term", "raftIndex", "raftAppliedIndex", "took"}
	// The columns of -w simple, which prints no header: those of -w table.
	ctlSimpleColumns = map[string][]string{
		"member list": {"ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"},
		"endpoint status": {"ENDPOINT", "ID", "VERSION", "STORAGE VERSION", "DB SIZE", "IN USE", "PERCENTAGE NOT IN USE",
			"QUOTA", "IS LEADER", "IS LEARNER", "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS",
			"DOWNGRADE TARGET VERSION", "DOWNGRADE ENABLED"},
	}
	ctlTook = regexp.MustCompile(`took = \S+`)
)

// normalize rewrites what etcdctl printed (args: the command and its flags) so that the two
// clusters can be compared: members by name rather than URL or ID, what ctlBlank* name blanked,
// and rows (members, endpoints) sorted, since etcdctl prints them in the order of the members'
// IDs or of the answers.
func (c *ctlCluster) normalize(t *testing.T, args []string, out string) string {
	t.Helper()
	switch writeOut(args) {
	case "json":
		dec := json.NewDecoder(strings.NewReader(out))
		dec.UseNumber()
		var v any
		require.NoError(t, dec.Decode(&v), "%s against %s should print JSON:\n%s", etcdctlCmdline(args, ""), c.name, out)
		b, err := json.MarshalIndent(c.normalizeJSON(v), "", "  ")
		require.NoError(t, err)
		return string(b) + "\n"
	case "table":
		rows := tableRows(out)
		require.NotEmpty(t, rows, "%s against %s should print a table:\n%s", etcdctlCmdline(args, ""), c.name, out)
		return c.normalizeRows(rows[0], rows[1:])
	}
	out = ctlTook.ReplaceAllString(c.repl.Replace(out), "took = <d>")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	columns := ctlSimpleColumns[strings.Join(args[:2], " ")]
	if columns == nil {
		slices.Sort(lines)
		return strings.Join(lines, "\n") + "\n"
	}
	var rows [][]string
	for _, l := range lines {
		rows = append(rows, strings.Split(l, ", "))
	}
	return c.normalizeRows(columns, rows)
}

func (c *ctlCluster) normalizeRows(header []string, rows [][]string) string {
	var lines []string
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, cell := range row {
			cells[i] = c.repl.Replace(cell)
			if i < len(header) && slices.Contains(ctlBlankColumns, header[i]) {
				cells[i] = "<" + header[i] + ">"
			}
		}
		lines = append(lines, strings.Join(cells, " | "))
	}
	slices.Sort(lines)
	return strings.Join(header, " | ") + "\n" + strings.Join(lines, "\n") + "\n"
}

// normalizeJSON is normalize for one JSON value.
func (c *ctlCluster) normalizeJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if slices.Contains(ctlBlankKeys, k) {
				// Dropped rather than blanked: a field that chapter 06 leaves empty
				// (storageVersion) is not printed at all.
				delete(v, k)
				continue
			}
			v[k] = c.normalizeJSON(child)
		}
	case []any:
		for i, child := range v {
			v[i] = c.normalizeJSON(child)
		}
		slices.SortFunc(v, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return bytes.Compare(ja, jb)
		})
	case json.Number:
		if n, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
			if name, ok := c.ids[n]; ok {
				return "<id " + name + ">"
			}
			if n == c.clusterID {
				return "<cluster>"
			}
		}
	case string:
		return c.repl.Replace(v)
	}
	return v
}

// TestChapter06EtcdctlAgainstRealEtcd compares what the real etcdctl prints about a cluster's
// members against a three-process chapter 06 cluster and a three-member real etcd v3.6.16, both
// started with etcd's flags and the same member names (etcd1 ... etcd3) and token shape:
// `member list`, `endpoint status` and `endpoint health`, each with -w table, json and simple,
// against every member's endpoint and (--cluster) against the first member's alone, which then
// finds the others through the member list. The clusters listen on other ports, and so their
// member IDs, which follow from the peer URLs, differ: the output names members by name, and
// blanks what differs by design (ctlBlankColumns). Both clusters have taken the same one put.
// What must then be the same includes every member's client URLs in every member's list (etcd's
// members publish their name and client URLs through raft once they serve: EtcdServer.publishV3,
// a ClusterMemberAttrSetRequest; --cluster finds the endpoints through them), and a Status that
// carries an empty DowngradeInfo (etcd v3.6's v3rpc/maintenance.go always sets one).
//
// Then the IDs themselves: real etcd started on some ports and stopped, and chapter 06 started
// on the same peer URLs with the same token and names on fresh data directories, must report
// exactly the same member IDs and cluster ID.
func TestChapter06EtcdctlAgainstRealEtcd(t *testing.T) {
	t.Parallel()
	etcdCluster := harness.StartEtcdCluster(t, ch06Members)
	cfg := harness.EtcdwalkCluster(t, ch06Members, t.TempDir())
	cfg.Name = "etcd" // the members are etcd1 ... etcd3, as real etcd's; the token etcd-PORT
	oursCluster := harness.StartMembers(t, cfg)
	etcd, ours := newCtlCluster(t, "real etcd", etcdCluster), newCtlCluster(t, "chapter 06", oursCluster)
	for _, c := range []*ctlCluster{etcd, ours} {
		out, errOut, code := harness.Etcdctl(t, c.endpoints[1], "", "put", "foo", "bar")
		require.Zero(t, code, "etcdctl put against %s: %s", c.name, errOut)
		require.Equal(t, "OK\n", out, "etcdctl put against %s", c.name)
	}

	t.Run("every member names the same leader", func(t *testing.T) {
		for _, c := range []*ctlCluster{etcd, ours} {
			out, errOut, code := harness.Etcdctl(t, strings.Join(c.endpoints, ","), "", "endpoint", "status", "-w", "json")
			require.Zero(t, code, "etcdctl endpoint status against %s: %s", c.name, errOut)
			var statuses []endpointStatus
			require.NoError(t, json.Unmarshal([]byte(out), &statuses), "endpoint status -w json against %s:\n%s", c.name, out)
			require.Len(t, statuses, ch06Members, "endpoint status against %s should report every endpoint:\n%s", c.name, out)
			for _, st := range statuses {
				assert.Equal(t, statuses[0].Status.Leader, st.Status.Leader, "%s: every member should name the same leader:\n%s", c.name, out)
				assert.Contains(t, c.ids, st.Status.Leader, "%s: the leader should be a member:\n%s", c.name, out)
			}
		}
	})

	t.Run("member list is sorted by ID", func(t *testing.T) {
		for _, ep := range ours.endpoints {
			out, errOut, code := harness.Etcdctl(t, ep, "", "member", "list", "-w", "json")
			require.Zero(t, code, "etcdctl member list against %s: %s", ep, errOut)
			var ml memberListJSON
			require.NoError(t, json.Unmarshal([]byte(out), &ml), "member list -w json:\n%s", out)
			require.Len(t, ml.Members, ch06Members, "member list against %s should list every member:\n%s", ep, out)
			var ids []uint64
			for _, m := range ml.Members {
				ids = append(ids, m.ID)
			}
			assert.True(t, slices.IsSorted(ids), "member list against %s should list the members by ID, as etcd does:\n%s", ep, out)
		}
	})

	for _, args := range [][]string{
		{"member", "list", "-w", "table"},
		{"member", "list", "-w", "json"},
		{"member", "list", "-w", "simple"},
		{"endpoint", "status", "-w", "table"},
		{"endpoint", "status", "-w", "json"},
		{"endpoint", "status", "-w", "simple"},
		{"endpoint", "status", "--cluster", "-w", "table"},
		{"endpoint", "status", "--cluster", "-w", "json"},
		{"endpoint", "status", "--cluster", "-w", "simple"},
		{"endpoint", "health"},
		{"endpoint", "health", "-w", "json"},
		{"endpoint", "health", "-w", "table"},
		{"endpoint", "health", "--cluster"},
		{"endpoint", "health", "--cluster", "-w", "json"},
		{"endpoint", "health", "--cluster", "-w", "table"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			// member list and --cluster ask one member (which, with several endpoints, would be
			// chance): the first; endpoint status and health ask each endpoint given.
			endpoints := func(c *ctlCluster) string {
				if args[0] == "member" || slices.Contains(args, "--cluster") {
					return c.endpoints[0]
				}
				return strings.Join(c.endpoints, ",")
			}
			cmdline := etcdctlCmdline(args, "")
			wantOut, wantErr, wantCode := harness.Etcdctl(t, endpoints(etcd), "", args...)
			gotOut, gotErr, gotCode := harness.Etcdctl(t, endpoints(ours), "", args...)
			require.Zero(t, wantCode, "%s against real etcd: %s", cmdline, wantErr)
			assert.Equal(t, wantCode, gotCode, "%s: exit status (stderr: %s)", cmdline, gotErr)
			assert.Equal(t, etcd.repl.Replace(wantErr), ours.repl.Replace(gotErr), "%s: chapter 06's errors (+) should be real etcd's (-)", cmdline)
			assert.Equal(t, etcd.normalize(t, args, wantOut), ours.normalize(t, args, gotOut),
				"%s: chapter 06's output (+) should be real etcd's (-), members named, what differs by design blanked;\nreal etcd printed:\n%s\nchapter 06 printed:\n%s",
				cmdline, wantOut, gotOut)
		})
	}

	t.Run("the same flags give the same member IDs as real etcd", func(t *testing.T) {
		requireSameMemberIDs(t)
	})
}

// requireSameMemberIDs starts a real etcd of three members with a token of its own, reads its
// member list, stops it, and starts three etcdwalk processes with the same names, peer URLs and
// token (etcd derives a member's ID from its peer URLs and the token, and the cluster's from
// the members'), on fresh data directories and other client ports: they must report exactly
// real etcd's member and cluster IDs.
func requireSameMemberIDs(t *testing.T) {
	t.Helper()
	// A token of its own: no other cluster running now has it (see proc's memberFlags).
	token := []string{"--initial-cluster-token", "ch06-ids-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	ecfg := proc.EtcdCluster(harness.Build(t, harness.EtcdPackage, false), ch06Members, t.TempDir())
	ecfg.Args = append(ecfg.Args, token...)
	etcd := harness.StartMembers(t, ecfg)
	want, err := pb.NewClusterClient(harness.Dial(t, etcd.Endpoints[0])).MemberList(ctxWithTimeout(t), &pb.MemberListRequest{})
	require.NoError(t, err, "real etcd: MemberList")
	peers := map[string]string{}
	var initial []string
	for _, m := range want.Members {
		require.Len(t, m.PeerURLs, 1, "real etcd's member %s", m.Name)
		peers[m.Name] = m.PeerURLs[0]
		initial = append(initial, m.Name+"="+m.PeerURLs[0])
	}
	for _, m := range etcd.Members {
		m.Stop(t)
	}

	cfg := harness.EtcdwalkCluster(t, ch06Members, t.TempDir())
	cfg.Name = "etcd"
	cfg.Args = token
	cfg.MemberArgs = func(i int) []string {
		peer := peers[fmt.Sprintf("etcd%d", i+1)]
		return []string{"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
			"--initial-cluster", strings.Join(initial, ",")}
	}
	ours := harness.StartMembers(t, cfg)
	got, err := pb.NewClusterClient(harness.Dial(t, ours.Endpoints[0])).MemberList(ctxWithTimeout(t), &pb.MemberListRequest{})
	require.NoError(t, err, "chapter 06: MemberList")

	ids := func(ml *pb.MemberListResponse) string {
		var s []string
		for _, m := range ml.Members {
			s = append(s, fmt.Sprintf("%s %x %v", m.Name, m.ID, m.PeerURLs))
		}
		return strings.Join(s, "\n")
	}
	t.Logf("real etcd's members:\n%s", ids(want))
	assert.Equal(t, ids(want), ids(got), "chapter 06 started with real etcd's names, peer URLs and token should list the same member IDs, in the same order")
	assert.Equal(t, fmt.Sprintf("%x", want.Header.ClusterId), fmt.Sprintf("%x", got.Header.ClusterId), "the cluster ID follows from the member IDs")
	assert.Equal(t, fmt.Sprintf("%x", want.Header.MemberId), fmt.Sprintf("%x", got.Header.MemberId), "the first member's own ID, in the header")
}
