// Command workshopcheck proves that every workshop exercise of the given chapters works as an
// exercise, alone and with the rest of its chapter:
//
//	workshopcheck [-v] CHAPTER_DIR...
//	workshopcheck -list-tags CHAPTER_DIR...
//
// An exercise is declared in its twin file (a file whose name ends in _workshop.go) by a line
//
//	//etcdwalk:exercise name=Range tag=workshop_range tests=^Test(Range|TxnRange)
//
// tests (and an optional skip) are regular expressions over top-level test names, as go test's
// -run and -skip: the tests that fail while the exercise is unwritten. The twin is built with
// //go:build workshop_NN || TAG (NN is the chapter's number), its reference file next to it
// with the negation. For each chapter, workshopcheck checks that
//
//   - the build lines are these, so that a tag switches on its own twins and nothing else;
//   - the normal build passes every test of the chapter;
//   - for each exercise's tag, and for the chapter's tag: the build compiles only the twins it
//     names, in no other chapter; the claimed tests fail, at least one, and no other test fails;
//   - each mutant in a package's testdata/mutants/ (a reference file with one mistake, see
//     mutant.go) fails the tests it names, with a message that contains its want line.
//
// -list-tags prints every exercise's and chapter's tag, for go vet. See docs/workshop.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

var verbose = flag.Bool("v", false, "list the tests that fail for each tag")

func main() {
	listTags := flag.Bool("list-tags", false, "print the tag of every exercise and chapter, one per line, and exit")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: workshopcheck [-v] [-list-tags] CHAPTER_DIR...\n\n"+
			"For every exercise (a *_workshop.go file carrying a %q line) and every chapter, checks\n"+
			"that its build tag stubs only its own twins, fails exactly the tests it claims, and that\n"+
			"the mutants in testdata/mutants fail their tests; and that the normal build passes.\n\n",
			strings.TrimSpace(directive))
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	chapters, err := loadChapters(flag.Args())
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL %v\n", err)
		os.Exit(1)
	}
	if *listTags {
		for _, ch := range chapters {
			for _, ex := range ch.exercises {
				fmt.Println(ex.tag)
			}
			if len(ch.exercises) > 0 {
				fmt.Println(ch.tag)
			}
		}
		return
	}
	failed := false
	for _, ch := range chapters {
		if err := ch.check(); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL %s:\n  %s\n", ch.dir, strings.ReplaceAll(err.Error(), "\n", "\n  "))
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// check runs every check of the chapter and returns what failed.
func (ch *chapter) check() error {
	if len(ch.exercises) == 0 {
		fmt.Printf("--  %s: no exercises\n", ch.dir)
		return nil
	}
	if err := ch.checkBuildLines(); err != nil {
		return err // every later check would report the same mistake less clearly
	}
	normal, err := runTests(ch.dir, "./...")
	if err != nil {
		return fmt.Errorf("normal build: %w", err)
	}
	if f := normal.failed(); len(f) > 0 {
		return fmt.Errorf("normal build: tests fail without a workshop tag: %s", strings.Join(names(f), " "))
	}
	ch.printf("normal build", "%d tests pass", len(normal))

	var errs []error
	for _, ex := range ch.exercises {
		stubs, res, err := ch.runTag(ex.tag, []exercise{ex})
		if err == nil {
			err = claims(res, []exercise{ex})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("exercise %s, -tags %s: %w", ex.name, ex.tag, err))
			continue
		}
		ch.printf("-tags "+ex.tag, "%s: stubs only %s; %s", ex.name, strings.Join(stubs, " "), summary(res))
		ch.list(res)
	}
	if stubs, res, err := ch.runTag(ch.tag, ch.exercises); err != nil {
		errs = append(errs, fmt.Errorf("-tags %s: %w", ch.tag, err))
	} else if err := claims(res, ch.exercises); err != nil {
		errs = append(errs, fmt.Errorf("-tags %s (all %d exercises): %w", ch.tag, len(ch.exercises), err))
	} else {
		ch.printf("-tags "+ch.tag, "its %d exercises: stubs only their %d files; %s", len(ch.exercises), len(stubs), summary(res))
		ch.list(res)
	}
	for _, m := range ch.mutants {
		failing, err := ch.runMutant(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("mutant %s: %w", m.path, err))
			continue
		}
		ch.printf("mutant "+m.name, "%s (%s) fails %s with %q", m.ex.name, m.file, strings.Join(failing, " "), m.want)
	}
	for _, ex := range ch.exercises {
		if !ch.hasMutant(ex) {
			errs = append(errs, fmt.Errorf("exercise %s: no mutant in %s/testdata/mutants shows a test that fails for the mistake it teaches", ex.name, ex.pkg))
		}
	}
	return errors.Join(errs...)
}

func (ch *chapter) printf(what, format string, args ...any) {
	fmt.Printf("ok  %-24s %-36s %s\n", ch.dir, what, fmt.Sprintf(format, args...))
}

// list prints the failing tests under the line of their tag, with -v.
func (ch *chapter) list(res results) {
	if *verbose {
		for _, k := range res.failed() {
			fmt.Printf("      fails: %s\n", k)
		}
	}
}

func (ch *chapter) hasMutant(ex exercise) bool {
	for _, m := range ch.mutants {
		if m.ex.name == ex.name {
			return true
		}
	}
	return false
}

// runTag checks which twins the tag compiles, in this chapter and in the chapters it imports:
// those of exs and their helpers, no other. It returns them, relative to the chapter, and the
// results of the chapter's tests built with the tag.
func (ch *chapter) runTag(tag string, exs []exercise) ([]string, results, error) {
	active, err := activeTwins(ch.dir, tag)
	if err != nil {
		return nil, nil, err
	}
	allowed := map[string]bool{}
	var problems []string
	for _, ex := range exs {
		allowed[ch.abs(ex.twin)] = true
		if !active[ch.abs(ex.twin)] {
			problems = append(problems, fmt.Sprintf("it does not compile %s", ex.twin))
		}
		for _, h := range ch.helpers {
			if pkgOf(h) == ex.pkg {
				allowed[ch.abs(h)] = true
			}
		}
	}
	var stubs []string
	for _, f := range sortedKeys(active) {
		if !allowed[f] {
			problems = append(problems, fmt.Sprintf("it also compiles %s, which belongs to another exercise", ch.rel(f)))
		}
		stubs = append(stubs, ch.rel(f))
	}
	if len(problems) > 0 {
		return nil, nil, errors.New(strings.Join(problems, "; "))
	}
	res, err := runTests(ch.dir, "./...", "-tags", tag)
	return stubs, res, err
}

// claims checks that the tests exs claim fail, at least one, and that no other test fails.
func claims(res results, exs []exercise) error {
	var problems []string
	claimed := 0
	for _, k := range sortedKeys(res) {
		byAny := false
		for _, ex := range exs {
			byAny = byAny || ex.claims(k.test)
		}
		switch {
		case byAny && res[k].passed:
			problems = append(problems, fmt.Sprintf("test %s passes with the exercise unwritten", k))
		case !byAny && !res[k].passed:
			problems = append(problems, fmt.Sprintf("test %s fails, but no exercise claims it (%s)", k, claimList(exs)))
		case byAny:
			claimed++
		}
	}
	if claimed == 0 && len(problems) == 0 {
		problems = append(problems, fmt.Sprintf("no test matches %s", claimList(exs)))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

func claimList(exs []exercise) string {
	var out []string
	for _, ex := range exs {
		s := "tests=" + ex.tests.String()
		if ex.skip != nil {
			s += " skip=" + ex.skip.String()
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// summary says how many tests failed, in which packages, and how many passed.
func summary(res results) string {
	perPkg := map[string]int{}
	for _, k := range res.failed() {
		perPkg[k.pkg]++
	}
	pkgs := sortedKeys(perPkg)
	var where string
	switch len(pkgs) {
	case 0:
	case 1:
		where = " in " + pkgs[0]
	default:
		var parts []string
		for _, p := range pkgs {
			parts = append(parts, fmt.Sprintf("%d in %s", perPkg[p], p))
		}
		where = " (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("fails %s%s, passes %d", plural(len(res.failed()), "test"), where, len(res)-len(res.failed()))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func names(keys []testKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.String()
	}
	return out
}

// sortedKeys returns m's keys in the order of their text.
func sortedKeys[K comparable, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b K) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return keys
}
