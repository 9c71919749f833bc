package interop_test

import (
	"regexp"
	"strings"
	"testing"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
)

// ch05Ctl is chapter 05's etcdctl, built on chapter 05's client.
const ch05Ctl = "etcdwalk/chapters/05-client/cmd/etcdwalkctl"

// ctlStep is one command of TestChapter05EtcdwalkctlIsEtcdctl, run by both tools.
type ctlStep struct {
	args  []string
	stdin string
	// env is added to both tools' environment; "{ep}" in it stands for the tool's endpoints.
	env []string
	// same runs both tools against the first server: the step only reads, and its output names
	// the cluster (member IDs, URLs, raft indexes, protobuf bytes).
	same bool
	// one gives the tools only the first member's endpoint instead of all of them, for output
	// that depends on which member answers (endpoint health prints the members in the order
	// they answer; a protobuf header is the answering member's).
	one bool
	// noEndpoints gives no --endpoints flag: env gives it, or args do.
	noEndpoints bool
}

// ch05Steps is a session that uses every command and flag etcdwalkctl has, in each output
// format, with its error cases. The writes happen in the same order on both servers, so the
// revisions agree.
var ch05Steps = []ctlStep{
	// Help and usage errors, before any server is asked.
	{args: []string{"get", "--help"}}, {args: []string{"put", "--help"}}, {args: []string{"del", "--help"}},
	{args: []string{"txn", "--help"}}, {args: []string{"compaction", "--help"}}, {args: []string{"member", "--help"}},
	{args: []string{"member", "list", "--help"}}, {args: []string{"endpoint", "--help"}},
	{args: []string{"endpoint", "status", "--help"}}, {args: []string{"help", "endpoint", "health"}},
	{args: []string{"member"}},
	{args: []string{"get", "--bad", "k"}}, {args: []string{"get", "--limit=x", "k"}},
	{args: []string{"frobnicate"}}, {args: []string{"gte", "foo"}}, {args: []string{"m", "list"}}, {args: []string{"lese"}},
	{args: []string{"put"}}, {args: []string{"get"}}, {args: []string{"del"}}, {args: []string{"del", "a", "b", "c"}},
	{args: []string{"get", "a", "--prefix", "--from-key"}}, {args: []string{"del", "a", "--prefix", "--from-key"}},
	{args: []string{"get", "a", "z", "--prefix"}}, {args: []string{"get", "a", "--keys-only", "--count-only"}},
	{args: []string{"get", "a", "--sort-by=size"}}, {args: []string{"get", "a", "--order=up"}},
	{args: []string{"get", "a", "--consistency=x"}}, {args: []string{"get", "a", "--min-mod-rev=3", "--max-mod-rev=2"}},
	{args: []string{"put", "k", "v", "--ignore-value"}}, {args: []string{"put", "k", "v", "--lease=zz"}},
	{args: []string{"txn", "x"}}, {args: []string{"compaction"}}, {args: []string{"compaction", "abc"}},
	{args: []string{"-w", "yaml", "get", "k"}}, {args: []string{"member", "list", "--consistency=x"}},

	// Puts and gets.
	{args: []string{"put", "foo", "bar"}},
	{args: []string{"put", "foo", "baz", "--prev-kv"}},
	{args: []string{"put", "foo", "qux", "--prev-kv", "-w", "json"}},
	{args: []string{"put", "fox", "-w", "fields"}, stdin: "from\nstdin\n"},
	{args: []string{"put", "k<&>", "v\tw", "-w", "json"}},
	{args: []string{"put", "key2", "v2", "--prev-kv", "-w", "fields"}},
	{args: []string{"put", "foo", "--ignore-value", "--prev-kv"}},
	{args: []string{"put", "foo", "x", "--lease=1f"}},
	{args: []string{"put", "", "x"}},
	{args: []string{"put", "nothing"}},
	{args: []string{"get", "foo"}},
	{args: []string{"get", "foo", "-w", "json"}},
	{args: []string{"get", "fo", "--prefix", "-w", "json"}},
	{args: []string{"get", "fo", "--prefix", "-w", "fields"}},
	{args: []string{"get", "fo", "--prefix", "-w", "protobuf"}, same: true, one: true},
	{args: []string{"get", "fo", "--prefix", "-w", "table"}},
	{args: []string{"get", "", "--prefix", "--keys-only"}},
	{args: []string{"get", "", "--from-key", "--count-only"}},
	{args: []string{"get", "", "--from-key", "--count-only", "-w", "fields"}},
	{args: []string{"get", "", "--from-key", "--print-value-only"}},
	{args: []string{"get", "", "--from-key", "--print-value-only", "-w", "json"}},
	{args: []string{"get", "a", "z", "--sort-by=VALUE", "--order=DESCEND"}},
	{args: []string{"get", "a", "z", "--sort-by=create", "--order=ascend", "-w", "json"}},
	{args: []string{"get", "", "--from-key", "--sort-by=VERSION", "--limit=2", "-w", "json"}},
	{args: []string{"get", "", "--from-key", "--keys-only", "--sort-by=MODIFY", "--order=DESCEND"}},
	{args: []string{"get", "foo", "--rev=2", "-w", "json"}},
	{args: []string{"get", "foo", "--rev=100"}},
	{args: []string{"get", "", "--from-key", "--consistency=s", "-w", "json"}},
	{args: []string{"get", "", "--from-key", "--hex"}},
	{args: []string{"get", "", "--from-key", "--min-create-rev=3", "--max-create-rev=5", "--min-mod-rev=3"}},

	// Txns from stdin: success, failure, every kind of compare and request, and bad input.
	{args: []string{"txn"}, stdin: "val(\"foo\") = \"qux\"\n\nput foo txn1 --prev-kv\nget foo\ndel nothing\n\nput nope 1\n\n"},
	{args: []string{"txn", "-w", "json"}, stdin: "val(\"foo\") = \"qux\"\n\nput nope 1\n\nput foo txn2\nget fo --prefix --keys-only\n\n"},
	{args: []string{"txn", "-w", "fields"}, stdin: "ver(\"foo\") > \"1\"\nc(\"foo\") > \"0\"\nmod(\"foo\") < \"1000\"\nlease(\"foo\") = \"0\"\n\n g foo\n\n\n"},
	{args: []string{"txn", "-i"}, stdin: "value(\"fox\") != \"x\"\n\nput \"a b\" 'c d'\n\n\n"},
	{args: []string{"txn"}, stdin: "\nput dup 1\nput dup 2\n\n\n"},
	{args: []string{"txn"}, stdin: "ver(\"foo\") = \"1\"\n"},
	{args: []string{"txn"}, stdin: "bogus(\"foo\") = \"1\"\n\n\n\n"},
	{args: []string{"txn"}, stdin: "ver(\"foo\") = \"x\"\n\n\n\n"},
	{args: []string{"txn"}, stdin: "ver(foo) = \"1\"\n\n\n\n"},
	{args: []string{"txn"}, stdin: "\nput foo\n\n\n"},
	{args: []string{"txn"}, stdin: "\nget --bad foo\n\n\n"},
	{args: []string{"txn"}, stdin: "\nget foo --prefix --from-key\n\n\n"},
	{args: []string{"txn"}, stdin: "\nfoo\n\n\n"},
	{args: []string{"txn"}, stdin: "\nfrob foo\n\n\n"},
	{args: []string{"txn"}, stdin: "\nget foo --sort-by=x\n\n\n"},
	{args: []string{"txn"}, stdin: "\nput \"bad\\q\" v\n\n\n"},

	// Deletes.
	{args: []string{"del", "nothing"}},
	{args: []string{"del", "key2", "--prev-kv", "-w", "json"}},
	{args: []string{"put", "a1", "1"}}, {args: []string{"put", "a2", "2"}}, {args: []string{"put", "a3", "3"}},
	{args: []string{"del", "a1", "a3", "--range", "-w", "fields"}},
	{args: []string{"del", "a", "a4"}}, // warns, waits 2 s, deletes
	{args: []string{"del", "k", "--prefix", "--prev-kv"}},
	{args: []string{"del", "fox", "--from-key", "--prev-kv", "-w", "json"}},

	// Compaction.
	{args: []string{"compaction", "5"}},
	{args: []string{"compaction", "5"}},
	{args: []string{"compaction", "7", "--physical"}},
	{args: []string{"compaction", "1000"}},
	{args: []string{"get", "foo", "--rev=3"}},

	// Members and endpoints, against the same server.
	{args: []string{"member", "list"}, same: true},
	{args: []string{"member", "list", "-w", "json"}, same: true},
	{args: []string{"member", "list", "-w", "json", "--hex"}, same: true},
	{args: []string{"member", "list", "-w", "fields", "--hex"}, same: true},
	{args: []string{"member", "list", "-w", "table", "--consistency=s"}, same: true},
	{args: []string{"member", "list", "-w", "protobuf"}, same: true, one: true},
	{args: []string{"endpoint", "status"}, same: true},
	{args: []string{"endpoint", "status", "-w", "json"}, same: true},
	{args: []string{"endpoint", "status", "-w", "fields"}, same: true},
	{args: []string{"endpoint", "status", "-w", "table", "--cluster"}, same: true},
	{args: []string{"endpoint", "status", "-w", "protobuf"}, same: true},
	{args: []string{"endpoint", "health"}, same: true, one: true},
	{args: []string{"endpoint", "health", "-w", "json"}, same: true, one: true},
	{args: []string{"endpoint", "health", "-w", "fields"}, same: true, one: true},

	// The environment, and endpoints that do not answer.
	{args: []string{"get", "foo"}, env: []string{"ETCDCTL_ENDPOINTS={ep}"}, noEndpoints: true},
	{args: []string{"get", "foo"}, env: []string{"ETCDCTL_ENDPOINTS={ep}", "ETCDCTL_WRITE_OUT=json", "ETCDCTL_API=3"}, noEndpoints: true},
	{args: []string{"endpoint", "status"}, env: []string{"ETCDCTL_ENDPOINTS={ep}", "ETCDCTL_CLUSTER=true"}, same: true, noEndpoints: true},
	{args: []string{"get", "foo"}, env: []string{"ETCDCTL_ENDPOINTS={ep}", "ETCDCTL_HEX=true", "ETCDCTL_DIAL_TIMEOUT=bogus"}, noEndpoints: true},
	{args: []string{"get", "foo"}, env: []string{"ETCDCTL_ENDPOINTS={ep}", "ETCDCTL_WRITE_OUT=yaml"}, noEndpoints: true},
	{args: []string{"get", "foo"}, env: []string{"ETCDCTL_ENDPOINTS={ep}"}}, // and --endpoints: fatal
	{args: []string{"--endpoints=", "get", "foo"}, noEndpoints: true},
	{args: []string{"--endpoints=127.0.0.1:1", "--command-timeout=1s", "get", "foo"}, noEndpoints: true},
	{args: []string{"--endpoints=127.0.0.1:1", "--command-timeout=1s", "endpoint", "status"}, noEndpoints: true},
	{args: []string{"--endpoints=127.0.0.1:1", "--command-timeout=1s", "endpoint", "health", "-w", "json"}, noEndpoints: true},
}

// TestChapter05EtcdwalkctlIsEtcdctl runs every step of ch05Steps through etcdctl v3.6.16 and
// through chapter 05's etcdwalkctl, and requires the same stdout, stderr and exit status, byte
// for byte, on real etcd and on chapter 04's cluster. etcdctl talks to one server and
// etcdwalkctl to another of the same kind, both fresh, so that each sees the same writes in the
// same order; steps that only read and print what names the cluster run both against the first.
//
// What may differ, and is blanked before the comparison: the cluster, member IDs and raft term
// of response headers (two clusters; and which member of chapter 04's answered), the time an
// endpoint health took, the client library's log lines, and the name of the program
// (etcdwalkctl names itself where etcdctl does).
func TestChapter05EtcdwalkctlIsEtcdctl(t *testing.T) {
	t.Parallel()
	etcdctl := harness.Build(t, harness.EtcdctlPackage, false)
	walk := harness.Build(t, ch05Ctl, false)
	t.Run("real etcd", func(t *testing.T) {
		t.Parallel()
		a, b := harness.StartEtcd(t), harness.StartEtcd(t)
		runCtlSteps(t, etcdctl, walk, a.Endpoints, b.Endpoints)
	})
	t.Run("chapter 04", func(t *testing.T) {
		t.Parallel()
		a, b := startCh04(t), startCh04(t)
		runCtlSteps(t, etcdctl, walk, a.Endpoints, b.Endpoints)
	})
}

func runCtlSteps(t *testing.T, etcdctl, walk string, a, b []string) {
	for _, s := range ch05Steps {
		run := func(bin string, eps []string) (string, string, int) {
			if s.one {
				eps = eps[:1]
			}
			ep := strings.Join(eps, ",")
			var env []string
			for _, e := range s.env {
				env = append(env, strings.ReplaceAll(e, "{ep}", ep))
			}
			args := s.args
			if !s.noEndpoints {
				args = append([]string{"--endpoints=" + ep}, args...)
			}
			out, errOut, code := harness.RunCtl(t, bin, s.stdin, env, args...)
			return normalizeCtl(out), normalizeCtl(errOut), code
		}
		ours := b
		if s.same {
			ours = a
		}
		cmdline := etcdctlCmdline(s.args, s.stdin)
		if len(s.env) > 0 {
			cmdline = strings.Join(s.env, " ") + " " + cmdline
		}
		wantOut, wantErr, wantCode := run(etcdctl, a)
		gotOut, gotErr, gotCode := run(walk, ours)
		gotOut = strings.ReplaceAll(gotOut, "etcdwalkctl", "etcdctl")
		gotErr = strings.ReplaceAll(gotErr, "etcdwalkctl", "etcdctl")
		assert.Equal(t, wantCode, gotCode, "%s: etcdwalkctl's exit status should be etcdctl's (stderr: %s)", cmdline, gotErr)
		assert.Equal(t, wantOut, gotOut, "%s: etcdwalkctl's stdout (+) should be etcdctl's (-)", cmdline)
		assert.Equal(t, wantErr, gotErr, "%s: etcdwalkctl's stderr (+) should be etcdctl's (-)", cmdline)
	}
}

// What normalizeCtl blanks: the IDs and raft term of a header in JSON (numbers, or hex strings
// with --hex) and in the fields format, and how long an endpoint health took.
var ctlVarying = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"(cluster_id|member_id|raft_term)":("[0-9a-f]+"|[0-9]+)`), `"$1":0`},
	{regexp.MustCompile(`(?m)^"(ClusterID|MemberID|RaftTerm)" : [0-9a-f]+$`), `"$1" : 0`},
	{regexp.MustCompile(`took = \S+`), `took = T`},
	{regexp.MustCompile(`"took":"[^"]*"`), `"took":"T"`},
	{regexp.MustCompile(`(?m)^"Took" : .*$`), `"Took" : T`},
}

func normalizeCtl(s string) string {
	for _, v := range ctlVarying {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}
