package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// testKey names a top-level test: its package, relative to the chapter, and its name.
type testKey struct{ pkg, test string }

func (k testKey) String() string { return k.pkg + "." + k.test }

type result struct {
	passed bool
	ended  bool // a pass, fail or skip event came: a test the binary died in has none
	output strings.Builder
}

// results holds every top-level test that ran.
type results map[testKey]*result

func (r results) failed() []testKey {
	var out []testKey
	for _, k := range sortedKeys(r) {
		if !r[k].passed {
			out = append(out, k)
		}
	}
	return out
}

// runTests runs go test -json with flags on the packages of the chapter that pattern names, and
// collects the top-level results. A build failure, or a package that
// fails without a failing test (a leak found by TestMain, a crash before the first test), is an
// error. Go's test cache serves packages the extra flags do not change.
//
// A test binary that died in the middle of a test is run once more, after its output is printed:
// what the check decides is which tests an exercise makes fail, and a crash says nothing about
// that. A second death is an error. (make unit runs every test of the normal build with -race,
// where a crash is a failure.)
func runTests(dir, pattern string, flags ...string) (results, error) {
	res, err := runTestsOnce(dir, pattern, flags...)
	var died *diedError
	if errors.As(err, &died) {
		fmt.Printf("WARN %s: %v\n(running it once more)\n", dir, err)
		res, err = runTestsOnce(dir, pattern, flags...)
	}
	return res, err
}

// diedError: the test binary of a package ended during a test, which neither passed nor failed.
type diedError struct{ msg string }

func (e *diedError) Error() string { return e.msg }

func runTestsOnce(dir, pattern string, flags ...string) (results, error) {
	args := append(append([]string{"test", "-json", "-timeout", "5m"}, flags...), pattern)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()

	module, err := modulePath(dir)
	if err != nil {
		return nil, err
	}
	res := results{}
	pkgOutput := map[string]*strings.Builder{}
	pkgFailed := map[string]bool{}
	var buildOutput strings.Builder
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var ev struct {
			Action, Package, Test, Output string
		}
		if err := dec.Decode(&ev); err != nil {
			return nil, fmt.Errorf("reading go test -json: %w", err)
		}
		pkg := strings.TrimPrefix(strings.TrimPrefix(ev.Package, module), "/")
		if pkg == "" {
			pkg = "."
		}
		top, _, _ := strings.Cut(ev.Test, "/")
		switch {
		case ev.Action == "build-output":
			buildOutput.WriteString(ev.Output)
		case ev.Test == "" && ev.Action == "output":
			if pkgOutput[pkg] == nil {
				pkgOutput[pkg] = &strings.Builder{}
			}
			pkgOutput[pkg].WriteString(ev.Output)
		case ev.Test == "" && ev.Action == "fail":
			pkgFailed[pkg] = true
		case ev.Test == "":
		default:
			k := testKey{pkg, top}
			if res[k] == nil {
				res[k] = &result{passed: true}
			}
			switch {
			case ev.Action == "output":
				res[k].output.WriteString(ev.Output)
			case ev.Action == "fail" && ev.Test == top:
				res[k].passed, res[k].ended = false, true
			case (ev.Action == "pass" || ev.Action == "skip") && ev.Test == top:
				res[k].ended = true
			}
		}
	}
	if buildOutput.Len() > 0 || (runErr != nil && len(pkgFailed) == 0) {
		return nil, fmt.Errorf("go %s did not compile or run:\n%s%s", strings.Join(args, " "), buildOutput.String(), stderr.String())
	}
	// A panic in a goroutine, or the timeout, ends the test binary in the middle of a test, and
	// go test -json then reports the package failed but not the test: counted as passed, a test
	// an exercise claims would seem to pass with the exercise unwritten.
	for _, k := range sortedKeys(res) {
		if !res[k].ended {
			return nil, &diedError{fmt.Sprintf("go %s: the test binary of ./%s ended during %s, which neither passed nor failed:\n%s%s",
				strings.Join(args, " "), k.pkg, k.test, res[k].output.String(), pkgOutput[k.pkg])}
		}
	}
	for _, pkg := range sortedKeys(pkgFailed) {
		failedTest := false
		for k, r := range res {
			failedTest = failedTest || (k.pkg == pkg && !r.passed)
		}
		if !failedTest {
			return nil, fmt.Errorf("package ./%s failed, but none of its tests did:\n%s", pkg, pkgOutput[pkg])
		}
	}
	return res, nil
}

// modulePath reads the module path from the chapter's go.mod.
func modulePath(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`), nil
		}
	}
	return "", fmt.Errorf("%s/go.mod has no module line", dir)
}

// activeTwins returns the *_workshop.go files that a build of the chapter's packages and their
// tests compiles with the tag, in whichever module they are.
func activeTwins(dir, tag string) (map[string]bool, error) {
	cmd := exec.Command("go", "list", "-deps", "-test", "-tags", tag, "-f", `{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}`, "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -tags %s: %w\n%s", tag, err, stderr.String())
	}
	active := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		if strings.HasSuffix(f, "_workshop.go") {
			active[filepath.Clean(f)] = true
		}
	}
	return active, nil
}
