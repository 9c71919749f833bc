package walkthrough

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// statusTable is `etcdctl endpoint status -w table` of a three-member cluster, with a leader, a
// term, an index and a size; the doc's version and a later run's differ in all of them, and in
// the column widths that follow from them.
func statusTable(leader int, term, index, size string) []string {
	rows := []string{
		"+------------------------+------------------+---------+-----------------+---------+--------+-----------------------+--------+-----------+------------+-----------+------------+--------------------+--------+--------------------------+-------------------+",
		"|        ENDPOINT        |        ID        | VERSION | STORAGE VERSION | DB SIZE | IN USE | PERCENTAGE NOT IN USE | QUOTA  | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS | DOWNGRADE TARGET VERSION | DOWNGRADE ENABLED |",
		"+------------------------+------------------+---------+-----------------+---------+--------+-----------------------+--------+-----------+------------+-----------+------------+--------------------+--------+--------------------------+-------------------+",
	}
	for i, id := range []string{"2bc21162cab8eb93", "7a501bd378af5df4", "9e850d645f22d635"} {
		lead := "false"
		if i == leader {
			lead = "true"
		}
		rows = append(rows, "| http://127.0.0.1:2479"+string(rune('1'+i))+" | "+id+" |   3.6.0 |                 |   "+size+" |  16 kB |                   34% | 2.1 GB |      "+lead+" |      false |         "+term+" |          "+index+" |                  "+index+" |        |                          |             false |")
	}
	return append(rows, rows[0])
}

func TestNormalizeMatchesVolatilePartsByPattern(t *testing.T) {
	for _, tc := range []struct {
		name      string
		doc, got  []string
		wantEqual bool
	}{
		{"another leader, term, index and size", statusTable(0, "2", "4", "25 kB"), statusTable(2, "3", "5", "125 kB"), true},
		{"another member ID", statusTable(0, "2", "4", "25 kB"),
			[]string{statusTable(0, "2", "4", "25 kB")[0], statusTable(0, "2", "4", "25 kB")[1], statusTable(0, "2", "4", "25 kB")[2],
				strings.Replace(statusTable(0, "2", "4", "25 kB")[3], "2bc21162cab8eb93", "2bc21162cab8eb94", 1)}, false},
		{"a size that is not a size", statusTable(0, "2", "4", "25 kB"), statusTable(0, "2", "4", "lots!"), false},
		{"a term that is not a number", statusTable(0, "2", "4", "25 kB"), statusTable(0, "x", "4", "25 kB"), false},
		{"simple endpoint status",
			[]string{"http://127.0.0.1:27912, d28a35aef541e1f2, 3.6.0, , 25 kB, 16 kB, 34%, 2.1 GB, true, false, 0, 0, 0, , , false"},
			[]string{"http://127.0.0.1:27912, d28a35aef541e1f2, 3.6.0, , 20 kB, 12 kB, 40%, 2.1 GB, true, false, 0, 0, 0, , , false"}, true},
		{"simple endpoint status of another member",
			[]string{"http://127.0.0.1:27912, d28a35aef541e1f2, 3.6.0, , 25 kB, 16 kB, 34%, 2.1 GB, true, false, 0, 0, 0, , , false"},
			[]string{"http://127.0.0.1:27912, d28a35aef541e1f3, 3.6.0, , 25 kB, 16 kB, 34%, 2.1 GB, true, false, 0, 0, 0, , , false"}, false},
		{"the raft term of a JSON header",
			[]string{`{"header":{"cluster_id":7435585869943805183,"member_id":11422550754639140405,"revision":2,"raft_term":2}}`},
			[]string{`{"header":{"cluster_id":7435585869943805183,"member_id":11422550754639140405,"revision":2,"raft_term":3}}`}, true},
		{"the revision of a JSON header",
			[]string{`{"header":{"cluster_id":7435585869943805183,"member_id":11422550754639140405,"revision":2,"raft_term":2}}`},
			[]string{`{"header":{"cluster_id":7435585869943805183,"member_id":11422550754639140405,"revision":3,"raft_term":2}}`}, false},
		{"a timestamp", []string{"time=2026-11-21T06:48:04.704Z level=INFO"}, []string{"time=2026-12-01T22:09:26.871Z level=INFO"}, true},
		{"chapter 03's consistent index", []string{"(/tmp/ew03-keep/infra1, consistent index 6)"}, []string{"(/tmp/ew03-keep/infra1, consistent index 7)"}, true},
		{"a member list after a status table keeps its columns",
			append(statusTable(0, "2", "4", "25 kB"), "+--+", "| ID | STATUS | NAME | PEER ADDRS | CLIENT ADDRS | IS LEARNER |", "+--+", "| 2bc21162cab8eb93 | started | infra1 | | http://127.0.0.1:24791 | false |", "+--+"),
			append(statusTable(0, "2", "4", "25 kB"), "+--+", "| ID | STATUS | NAME | PEER ADDRS | CLIENT ADDRS | IS LEARNER |", "+--+", "| 2bc21162cab8eb93 | started | infra1 | | http://127.0.0.1:24791 | true |", "+--+"),
			false},
		{"a value", []string{"foo", "bar"}, []string{"foo", "baz"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nd, ng := normalize(tc.doc), normalize(tc.got)
			if tc.wantEqual {
				assert.Equal(t, nd, ng, "the difference should be volatile only")
			} else {
				assert.NotEqual(t, nd, ng, "the difference should be seen:\n%s\n%s", strings.Join(tc.doc, "\n"), strings.Join(tc.got, "\n"))
			}
		})
	}
}

func TestOutputLinesDropsOnlyTheClientsRetryWarning(t *testing.T) {
	out := `{"level":"warn","ts":"2026-12-01T22:09:30.794535Z","logger":"client","caller":"v3@v3.6.16/retry_interceptor.go:68","msg":"retrying of unary invoker failed","target":"etcd-endpoints://0x340ce5542d20/127.0.0.1:2379","attempt":0,"error":"rpc error: code = OutOfRange desc = etcdserver: mvcc: required revision has been compacted"}
Error: etcdserver: mvcc: required revision has been compacted
{"level":"fatal","ts":"2026-12-01T22:09:30.560905Z","caller":"flags/flag.go:86","msg":"conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))","environment-variable":"ETCDCTL_ENDPOINTS"}
foo   

`
	assert.Equal(t, []string{
		"Error: etcdserver: mvcc: required revision has been compacted",
		`{"level":"fatal","ts":"2026-12-01T22:09:30.560905Z","caller":"flags/flag.go:86","msg":"conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))","environment-variable":"ETCDCTL_ENDPOINTS"}`,
		"foo",
	}, outputLines(out), "the retry warning goes, etcdctl's own fatal error stays, trailing blanks go")
}
