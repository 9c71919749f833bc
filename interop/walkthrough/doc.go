// Package walkthrough checks that the docs' walkthroughs work as written. Every shell block a doc
// tells its reader to run (README.md, the chapters' READMEs, docs/) runs in order, as pasted,
// against the chapters' real servers and the real etcdctl v3.6.16, in the environment of whoever
// runs the test, ETCDCTL_* included. TestWalkthroughs does it for every markdown file of the
// repository that is not switched off in its list, so `make test` (go test -race etcdwalk/...)
// runs the same blocks a reader pastes.
//
// # How a doc runs
//
// The doc runs in a copy of the repository as a fresh clone has it: the files git tracks and the
// new ones it does not ignore, but no .bin/, no data directory of an earlier run. Its blocks run
// in terminals: one bash each, in a process group of its own, that reads the doc's commands one
// after the other and keeps its state between them (working directory, variables, exported or
// not), as a terminal window does. Blocks run in the terminal "main", opened at the root, until a
// directive switches. Two kinds of fenced block run:
//
//   - ```sh (also bash, shell): the block's lines, in one go. Every command in it that fails
//     (bash's ERR trap) is a failure, reported with its line in the doc and what the block printed.
//     Comments after # are the doc's notes for the reader; bash ignores them.
//   - ```console (also shell-session): each "$ " line is a command (with its continuation lines
//     and here-document), and the lines after it, up to the next "$ ", are what it must print,
//     stdout and stderr as they came. The exit status is not compared: an error shows in what the
//     command prints ("Error: ...").
//
// Blocks in any other language (plain ```, go, mermaid) are shown output or code, and do not
// run.
//
// # Directives
//
// What the prose tells the reader ("in another terminal", "keep it running", "press Ctrl-C") the
// checker learns from HTML comments, which a reader of the rendered doc does not see. Each is a
// line of its own:
//
//	<!-- walkthrough: server URL,URL,... -->
//	<!-- walkthrough: server NAME URL,URL,... -->
//	    The next block starts a server and keeps running. It runs in terminal "server" (or NAME),
//	    opened at the root the first time, and the doc goes on once every URL answers a clientv3
//	    Get (and, for several URLs, every one names the same leader). A URL's port must be free
//	    before: a test that finds it taken fails and says so, rather than talk to someone else's
//	    server.
//	<!-- walkthrough: stop -->
//	<!-- walkthrough: stop NAME -->
//	    Ctrl-C (SIGINT to the terminal's process group) in every terminal that runs a server, or in
//	    NAME's. The server must exit, and free its ports, within the stop timeout.
//	<!-- walkthrough: terminal NAME -->
//	<!-- walkthrough: terminal NAME DIR -->
//	    The next blocks run in terminal NAME (opened at the root if it is new), which first changes
//	    to DIR (relative to the root) if one is given: "in a second terminal", "all commands run in
//	    chapters/01-rpc".
//	<!-- walkthrough: skip: REASON -->
//	    The next block does not run. For blocks that cannot run here (make test itself, a load run
//	    of minutes, a command that needs the network beyond the module proxy), with the reason,
//	    which the test log lists with every skipped block.
//	<!-- walkthrough: skip section "HEADING": REASON -->
//	    No block under the heading runs, wherever the directive stands.
//
// A directive that applies to nothing (a skip with no block after it, a section that does not
// exist or holds no block, a directive inside a paragraph) fails the parse: a block must never
// stop running unnoticed.
//
// At the end of a doc, every server still running gets Ctrl-C, every terminal is closed, and a
// process still running in one of them (a command left in the background) is a failure, then
// killed.
//
// # What is compared
//
// A console command's output is compared line by line with the doc's lines, less trailing blanks
// and trailing empty lines, and less the JSON warning etcdctl's client library prints before an
// error ("retrying of unary invoker failed"), which the docs leave out and say so. What differs
// from one run to the next although nothing is wrong is compared by its pattern, on both sides:
// in `etcdctl endpoint status` (table or not) the sizes, the percentage, who leads, the raft term
// and indexes; in JSON, raft_term and the status's raft and size fields; timestamps; and chapter
// 03's "consistent index N". Everything else is compared exactly: member and cluster IDs, which
// the chapters compute from the client URLs and the docs fix, revisions, keys, values, errors.
//
// # The reader's environment
//
// The terminals get the test's environment as it is, ETCDCTL_* included: a reader who has
// exported ETCDCTL_ENDPOINTS and pastes a command with --endpoints gets etcdctl v3.6's
// "conflicting environment variable" error, and so does the test. Only make's own variables
// (MAKEFLAGS, MAKELEVEL, MFLAGS, MAKEOVERRIDES) are left out, since a reader does not paste the
// docs inside make. PATH is the reader's too: a doc that runs `etcdctl` rather than
// `.bin/etcdctl` says `export PATH="$PWD/.bin:$PATH"` first.
//
// # What it promises
//
// Every wait has a deadline (Runner's timeouts, and the test's own deadline): a block that does
// not finish, a server that never answers or ignores Ctrl-C, is a failure that says so, never a
// hang. No process outlives a run: each terminal's process group is stopped and checked empty
// when the doc ends, and a watchdog in each terminal kills its group if the test process dies
// (a crash, go test -timeout). Docs run one at a time, since they share ports.
//
// # What it leaves out
//
// A terminal is a non-interactive bash: no aliases, no job control, no history expansion, stdin
// is /dev/null. A doc that needs a terminal's interactive features, or another shell, is not
// checked as such. Output of a plain ``` block (a server's log, a trace) is not compared: what a
// server logs carries times and durations that the docs show as examples.
package walkthrough
