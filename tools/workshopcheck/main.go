// Command workshopcheck proves that every workshop exercise of the given chapters works as an
// exercise: its twin (built with -tags workshop) compiles, the tests it names fail, no other test
// fails, and the normal build passes all tests.
//
//	workshopcheck chapters/*/
//
// An exercise is declared in its twin file (a file whose name ends in _workshop.go) by a line
//
//	//etcdwalk:exercise name=Range tests=^TestRange
//
// where tests is a regular expression over top-level test names. See docs/workshop.md.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

const directive = "//etcdwalk:exercise "

type exercise struct {
	name  string
	tests *regexp.Regexp
	file  string // the twin, relative to the chapter
}

func main() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: workshopcheck CHAPTER_DIR...\n\n"+
			"For every package with exercises (files *_workshop.go carrying a %q line), checks that\n"+
			"`go test -tags workshop` compiles and fails exactly the exercises' tests, and that the\n"+
			"normal build passes.\n", strings.TrimSpace(directive))
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	failed := false
	for _, dir := range flag.Args() {
		if err := checkChapter(dir); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", dir, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// checkChapter checks every package of the chapter in dir that has exercises.
func checkChapter(dir string) error {
	byPkg, err := findExercises(dir)
	if err != nil {
		return err
	}
	if len(byPkg) == 0 {
		fmt.Printf("%s: no exercises\n", dir)
		return nil
	}
	pkgs := make([]string, 0, len(byPkg))
	for p := range byPkg {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	var errs []error
	for _, pkg := range pkgs {
		if err := checkPackage(dir, pkg, byPkg[pkg]); err != nil {
			errs = append(errs, fmt.Errorf("package ./%s: %w", pkg, err))
		}
	}
	return errors.Join(errs...)
}

// findExercises returns the exercises of the chapter, keyed by package directory.
func findExercises(dir string) (map[string][]exercise, error) {
	byPkg := map[string][]exercise{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_workshop.go") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		exs, err := parseDirectives(path, rel)
		if err != nil {
			return err
		}
		twin := strings.TrimSuffix(path, "_workshop.go") + ".go"
		if len(exs) > 0 {
			if err := checkTwin(twin); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		pkg := filepath.Dir(rel)
		byPkg[pkg] = append(byPkg[pkg], exs...)
		return nil
	})
	for pkg, exs := range byPkg {
		if len(exs) == 0 {
			delete(byPkg, pkg) // workshop-only helpers, no exercise of their own
		}
	}
	return byPkg, err
}

func parseDirectives(path, rel string) ([]exercise, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var exs []exercise
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, directive) {
			continue
		}
		ex := exercise{file: rel}
		for _, field := range strings.Fields(strings.TrimPrefix(line, directive)) {
			k, v, _ := strings.Cut(field, "=")
			switch k {
			case "name":
				ex.name = v
			case "tests":
				re, err := regexp.Compile(v)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: tests=%q: %w", rel, n, v, err)
				}
				ex.tests = re
			default:
				return nil, fmt.Errorf("%s:%d: unknown field %q (want name= and tests=)", rel, n, k)
			}
		}
		if ex.name == "" || ex.tests == nil {
			return nil, fmt.Errorf("%s:%d: an exercise needs name= and tests=", rel, n)
		}
		exs = append(exs, ex)
	}
	return exs, sc.Err()
}

// checkTwin requires the reference file next to the twin, excluded from workshop builds.
func checkTwin(twin string) error {
	b, err := os.ReadFile(twin)
	if err != nil {
		return fmt.Errorf("the reference twin %s is missing: %w", filepath.Base(twin), err)
	}
	if !bytes.Contains(b, []byte("//go:build !workshop")) {
		return fmt.Errorf("%s must start with //go:build !workshop", filepath.Base(twin))
	}
	return nil
}

func checkPackage(dir, pkg string, exs []exercise) error {
	normal, err := runTests(dir, pkg)
	if err != nil {
		return fmt.Errorf("normal build: %w", err)
	}
	if f := normal.failed(); len(f) > 0 {
		return fmt.Errorf("normal build: tests fail without the workshop tag: %s", strings.Join(f, ", "))
	}
	work, err := runTests(dir, pkg, "-tags", "workshop")
	if err != nil {
		return fmt.Errorf("-tags workshop: %w", err)
	}

	var problems []string
	owned := map[string]bool{}
	for _, ex := range exs {
		var fails []string
		for name, ok := range work {
			if !ex.tests.MatchString(name) {
				continue
			}
			owned[name] = true
			if ok {
				problems = append(problems, fmt.Sprintf("exercise %s: test %s passes with the exercise unwritten", ex.name, name))
			} else {
				fails = append(fails, name)
			}
		}
		sort.Strings(fails)
		if len(fails) == 0 {
			problems = append(problems, fmt.Sprintf("exercise %s: no test matching %s fails with the exercise unwritten", ex.name, ex.tests))
			continue
		}
		fmt.Printf("ok  %s/%s  exercise %-12s (%s) fails: %s\n", filepath.Clean(dir), pkg, ex.name, ex.file, strings.Join(fails, " "))
	}
	for _, name := range work.failed() {
		if !owned[name] {
			problems = append(problems, fmt.Sprintf("test %s fails with -tags workshop but belongs to no exercise", name))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// results maps each top-level test to whether it passed.
type results map[string]bool

func (r results) failed() []string {
	var out []string
	for name, ok := range r {
		if !ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// runTests runs the package's tests with -json and collects the top-level results. A build failure
// is an error, not a test failure.
func runTests(dir, pkg string, extra ...string) (results, error) {
	args := append([]string{"test", "-count=1", "-json"}, extra...)
	args = append(args, "./"+filepath.ToSlash(pkg))
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	res := results{}
	var buildOutput strings.Builder
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var ev struct {
			Action string
			Test   string
			Output string
		}
		if err := dec.Decode(&ev); err != nil {
			return nil, fmt.Errorf("reading go test -json: %w", err)
		}
		switch {
		case ev.Action == "build-output":
			buildOutput.WriteString(ev.Output)
		case ev.Test == "" || strings.Contains(ev.Test, "/"):
		case ev.Action == "pass" || ev.Action == "skip":
			res[ev.Test] = true
		case ev.Action == "fail":
			res[ev.Test] = false
		}
	}
	if runErr != nil && len(res.failed()) == 0 {
		return nil, fmt.Errorf("go %s did not compile or run:\n%s%s", strings.Join(args, " "), buildOutput.String(), stderr.String())
	}
	return res, nil
}
