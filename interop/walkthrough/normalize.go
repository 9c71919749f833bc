package walkthrough

import (
	"regexp"
	"strings"
)

// What a server answers differently from one run to the next, although nothing is wrong: which
// member wins the election, the raft term and index (one more election, one more entry), the
// bbolt file's size, the time. Each is compared by its pattern: the doc's value and the value
// printed must both have the shape, not the same digits. Everything else is compared exactly:
// member and cluster IDs (computed from the client URLs, which the docs fix), revisions, keys,
// values, errors.
//
// Each volatile part is replaced by the name of its class, in the doc's lines and in the
// command's, wherever it has the class's pattern; a value of the wrong shape is left as it is,
// so it differs from the doc's placeholder.
type class struct {
	name string
	re   *regexp.Regexp
}

var (
	sizeClass    = class{"<size>", regexp.MustCompile(`^\d+(\.\d+)? (B|kB|MB|GB|TB)$`)}
	percentClass = class{"<percent>", regexp.MustCompile(`^\d+%$`)}
	boolClass    = class{"<true|false>", regexp.MustCompile(`^(true|false)$`)}
	numberClass  = class{"<number>", regexp.MustCompile(`^\d+$`)}
)

// endpointStatusColumns are the volatile columns of `etcdctl endpoint status`, by the header
// of its table (-w table); endpointStatusFields are the same ones by position in its simple
// output (one line per endpoint, comma-separated, 16 fields).
var (
	endpointStatusColumns = map[string]class{
		"DB SIZE":               sizeClass,
		"IN USE":                sizeClass,
		"PERCENTAGE NOT IN USE": percentClass,
		"IS LEADER":             boolClass,
		"RAFT TERM":             numberClass,
		"RAFT INDEX":            numberClass,
		"RAFT APPLIED INDEX":    numberClass,
	}
	endpointStatusFields = map[int]class{
		4: sizeClass, 5: sizeClass, 6: percentClass, 8: boolClass,
		10: numberClass, 11: numberClass, 12: numberClass,
	}
	simpleStatusRE = regexp.MustCompile(`^https?://[^,]+, [0-9a-f]{1,16}, `)
)

// inlineRules rewrite volatile parts inside any line.
var inlineRules = []struct {
	re   *regexp.Regexp
	repl string
}{
	// The raft fields of a JSON header or status (-w json).
	{regexp.MustCompile(`"(raft_term|raftTerm|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse|leader)":\d+`), `"$1":<number>`},
	// A timestamp, as in a log line.
	{regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`), `<time>`},
	// The index a member's store holds, in chapter 03's refusal of an old data dir: one more
	// election, one more entry.
	{regexp.MustCompile(`consistent index \d+`), `consistent index <number>`},
}

// normalize rewrites one command's output lines (or the doc's lines for it) for comparison: the
// volatile parts become their class names, and etcdctl's tables, whose column widths follow
// their contents, become their cells.
func normalize(lines []string) []string {
	out := make([]string, 0, len(lines))
	var (
		volatile map[int]class // the volatile columns of the current table
		inTable  bool          // the line before was a border or a row
		header   bool          // the next row is a table's header
	)
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		switch {
		case strings.HasPrefix(l, "+-") && strings.Trim(l, "+-") == "":
			header = header || !inTable
			inTable = true
			l = "+-+"
		case strings.HasPrefix(l, "|") && strings.HasSuffix(l, "|") && len(l) > 1:
			cells := strings.Split(l[1:len(l)-1], "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			if header {
				volatile = nil
				if isStatusHeader(cells) {
					volatile = map[int]class{}
					for i, c := range cells {
						if cl, ok := endpointStatusColumns[c]; ok {
							volatile[i] = cl
						}
					}
				}
			} else {
				replace(cells, volatile)
			}
			header, inTable = false, true
			l = "| " + strings.Join(cells, " | ") + " |"
		default:
			volatile, inTable, header = nil, false, false
			if simpleStatusRE.MatchString(l) {
				if fields := strings.Split(l, ", "); len(fields) == 16 {
					replace(fields, endpointStatusFields)
					l = strings.Join(fields, ", ")
				}
			}
		}
		for _, r := range inlineRules {
			l = r.re.ReplaceAllString(l, r.repl)
		}
		out = append(out, l)
	}
	return out
}

func isStatusHeader(cells []string) bool {
	return len(cells) > 2 && cells[0] == "ENDPOINT" && cells[1] == "ID"
}

func replace(fields []string, classes map[int]class) {
	for i, cl := range classes {
		if i < len(fields) && cl.re.MatchString(fields[i]) {
			fields[i] = cl.name
		}
	}
}

// clientWarningRE is the log line etcdctl's client library prints before it reports an error
// (its retry interceptor's "retrying of unary invoker failed"). The docs leave it out and say so;
// it carries a timestamp and a pointer that differ on every run.
var clientWarningRE = regexp.MustCompile(`^\{"level":"warn".*"msg":"retrying of unary invoker failed"`)

// outputLines is what a command printed, as the doc shows it: one string per line, without the
// client's retry warnings, without trailing blanks and trailing empty lines.
func outputLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !clientWarningRE.MatchString(l) {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
	}
	return trimTrailingEmpty(lines)
}

func trimTrailingEmpty(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
