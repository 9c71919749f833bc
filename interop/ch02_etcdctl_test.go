package interop_test

import (
	"fmt"
	"strings"
	"testing"

	"etcdwalk/interop/harness"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChapter02Etcdctl runs etcdctl against real etcd and against chapter 02, one command at a
// time: stdout, stderr and exit status must be the same for both. Chapter 02 keeps history, so
// this is where `get --rev`, the revision filters and `compaction` come in. Both servers start
// empty at revision 1 and every command does the same to both, so revisions in the commands
// (--rev=2, compaction 5) mean the same thing on both; the comment after a write says which
// revision it makes.
func TestChapter02Etcdctl(t *testing.T) {
	t.Parallel()
	etcd := harness.StartEtcd(t)
	ours := startCh02(t, "--trace")

	steps := []etcdctlStep{
		// Writes.
		{args: []string{"put", "foo", "bar"}, want: "OK\n"},                           // rev 2
		{args: []string{"put", "foo/a", "1"}, want: "OK\n"},                           // rev 3
		{args: []string{"put", "foo/b", "2"}},                                         // rev 4
		{args: []string{"put", "fop", "3"}},                                           // rev 5
		{args: []string{"put", "foo", "bar2", "--prev-kv"}, want: "OK\nfoo\nbar\n"},   // rev 6
		{args: []string{"put", "foo/a", "--ignore-value"}, want: "OK\n"},              // rev 7, foo/a keeps "1"
		{args: []string{"put", "nokey", "--ignore-value"}},                            // refused: no value to keep
		{args: []string{"put", "foo/c", "0", "--lease=1"}},                            // refused: no such lease
		{args: []string{"put", "foo/a", "--ignore-value", "--prev-kv", "-w", "json"}}, // rev 8

		// Reads of the present and of the past.
		{args: []string{"get", "foo", "--rev=2"}, want: "foo\nbar\n"},
		{args: []string{"get", "foo", "--rev=5"}, want: "foo\nbar\n"},
		{args: []string{"get", "foo", "--rev=6", "-w", "json"}},
		{args: []string{"get", "foo", "--prefix", "--rev=4", "--order=DESCEND"}},
		{args: []string{"get", "foo", "--rev=100"}},
		{args: []string{"get", "foo", "--prefix"}},
		{args: []string{"get", "foo", "--prefix", "--sort-by=VALUE", "--order=DESCEND"}},
		{args: []string{"get", "", "--from-key", "--sort-by=MODIFY", "--order=ASCEND", "--limit=2"}},
		{args: []string{"get", "f", "--from-key", "--sort-by=CREATE", "--order=DESCEND"}},
		{args: []string{"get", "foo", "--prefix", "--sort-by=VERSION", "-w", "json"}},
		{args: []string{"get", "foo", "--prefix", "--sort-by=KEY"}},
		{args: []string{"get", "foo", "--prefix", "--keys-only"}},
		{args: []string{"get", "foo", "--prefix", "--count-only", "-w", "fields"}},
		{args: []string{"get", "foo/", "--from-key", "--limit=1", "-w", "json"}},
		{args: []string{"get", "", "--prefix", "--min-mod-rev=4", "--max-mod-rev=6"}},
		{args: []string{"get", "", "--prefix", "--min-create-rev=3", "--max-create-rev=4", "-w", "json"}},
		{args: []string{"get", "foo", "--consistency=s", "-w", "fields"}},
		{args: []string{"get", "foo", "--print-value-only"}, want: "bar2\n"},

		// Txns, with every kind of comparison.
		{args: []string{"txn"}, stdin: "value(\"foo\") = \"bar2\"\nversion(\"foo/a\") = \"3\"\ncreate(\"fop\") = \"5\"\nmod(\"foo/b\") < \"100\"\n\n" +
			"put txn ok\nget foo --prefix\n\nput txn failed\n\n"}, // rev 9
		{args: []string{"txn", "-w", "json"}, stdin: "version(\"nokey\") > \"0\"\nmod(\"foo\") = \"6\"\n\n" +
			"put txn2 then\n\nget txn\ndel txn --prev-kv\nput txn2 else\n\n"}, // rev 10
		{args: []string{"txn"}, stdin: "ver(\"foo\") != \"3\"\nc(\"foo/b\") > \"3\"\nm(\"foo/a\") = \"8\"\n\n" +
			"get foo/a --rev=3\n\nput never x\n\n"},
		{args: []string{"txn"}, stdin: "val(\"foo\") < \"bar3\"\n\nput foo bar3 --prev-kv\nget foo --rev=2\n\n\n"}, // rev 11
		{args: []string{"txn"}, stdin: "\nput foo/d 4\nput foo/d 5\n\n\n"},                                         // refused: duplicate key

		// Deletes.
		{args: []string{"del", "fop", "--prev-kv"}},                            // rev 12
		{args: []string{"del", "nokey"}, want: "0\n"},                          // nothing deleted, no new revision
		{args: []string{"del", "--prefix", "foo/", "--prev-kv", "-w", "json"}}, // rev 13
		{args: []string{"get", "", "--from-key", "-w", "json"}},

		// Compaction.
		{args: []string{"compaction", "5"}, want: "compacted revision 5\n"},
		{args: []string{"get", "foo", "--rev=4"}},
		{args: []string{"get", "foo", "--rev=5"}, want: "foo\nbar\n"},
		{args: []string{"compaction", "4"}},
		{args: []string{"compaction", "5"}},
		{args: []string{"compaction", "1000"}},
		{args: []string{"compaction", "--physical", "9"}, want: "compacted revision 9\n"},
		{args: []string{"get", "foo", "--rev=8"}},
		{args: []string{"get", "", "--prefix", "--rev=9", "-w", "json"}},
		{args: []string{"get", "", "--prefix", "--rev=12", "--sort-by=MODIFY", "--order=DESCEND"}},
		{args: []string{"compaction", "--physical", "13"}},
		{args: []string{"get", "", "--from-key", "-w", "json"}},
		{args: []string{"del", "", "--from-key"}}, // rev 14
		{args: []string{"get", "", "--from-key", "--count-only", "-w", "fields"}},
		{args: []string{"put", "foo", "again", "--prev-kv", "-w", "json"}}, // rev 15
		{args: []string{"get", "foo", "--rev=13", "-w", "json"}},
	}

	for i, step := range steps {
		cmdline := "etcdctl " + strings.Join(step.args, " ")
		if step.stdin != "" {
			cmdline += fmt.Sprintf(" <<< %q", step.stdin)
		}
		t.Run(fmt.Sprintf("%02d %s", i+1, strings.Join(step.args, " ")), func(t *testing.T) {
			wantOut, wantErr, wantCode := harness.Etcdctl(t, etcd.Endpoint, step.stdin, step.args...)
			gotOut, gotErr, gotCode := harness.Etcdctl(t, ours.Endpoint, step.stdin, step.args...)
			if step.want != "" {
				require.Equal(t, step.want, wantOut, "%s against real etcd: the transcript is wrong, or etcdctl changed", cmdline)
				assert.Equal(t, step.want, gotOut, "%s against chapter 02 should print this (stderr: %s)", cmdline, gotErr)
			}
			switch writeOut(step.args) {
			case "fields":
				wantOut, gotOut = harness.NormalizeFields(wantOut), harness.NormalizeFields(gotOut)
			case "json":
				if wantCode == 0 {
					var err error
					wantOut, err = harness.NormalizeJSON(wantOut)
					require.NoError(t, err, "%s against real etcd", cmdline)
					gotOut, err = harness.NormalizeJSON(gotOut)
					require.NoError(t, err, "%s against chapter 02 should print JSON", cmdline)
				}
			}
			assert.Equal(t, wantCode, gotCode, "%s: exit status (stderr from ours: %s)", cmdline, gotErr)
			assert.Equal(t, wantOut, gotOut, "%s: chapter 02's output (+) should equal real etcd's (-)", cmdline)
			assert.Equal(t, wantErr, gotErr, "%s: chapter 02's errors (+) should equal real etcd's (-)", cmdline)
		})
	}
}
