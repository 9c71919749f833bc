package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/tools/txtar"
)

// A mutant is an exercise's reference file with the mistake the exercise teaches, stored in the
// package's testdata/mutants/NAME.txtar: a comment that says the mistake, then the lines
//
//	file: propose.go                               the reference file, in the package
//	tests: ^TestClusterRegisterBeforePropose$       the tests that must fail (go test -run)
//	want: Register after Propose                   text each failing test must print
//
// and two sections, -- old -- and -- new --: the text the mistake replaces, found exactly once
// in the file, and what it puts there. workshopcheck builds the package with the mutant in the
// file's place (go test -overlay, no tag) and checks that the tests fail, saying want.
type mutant struct {
	name     string // NAME
	path     string // the .txtar, relative to the chapter
	file     string // the reference file, relative to the chapter
	tests    *regexp.Regexp
	want     string
	old, new []byte
	ex       exercise
}

var mutantField = regexp.MustCompile(`(?m)^(file|tests|want): (.+)$`)

func (ch *chapter) loadMutant(rel string) (mutant, error) {
	a, err := txtar.ParseFile(filepath.Join(ch.dir, rel))
	if err != nil {
		return mutant{}, err
	}
	m := mutant{name: strings.TrimSuffix(filepath.Base(rel), ".txtar"), path: rel}
	pkg := pkgOf(filepath.Dir(filepath.Dir(rel))) // <pkg>/testdata/mutants/NAME.txtar
	for _, f := range mutantField.FindAllStringSubmatch(string(a.Comment), -1) {
		switch f[1] {
		case "file":
			m.file = filepath.Join(pkg, f[2])
		case "tests":
			if m.tests, err = regexp.Compile(f[2]); err != nil {
				return m, fmt.Errorf("tests: %w", err)
			}
		case "want":
			m.want = f[2]
		}
	}
	for _, f := range a.Files {
		switch f.Name {
		case "old":
			m.old = f.Data
		case "new":
			m.new = f.Data
		default:
			return m, fmt.Errorf("unknown section %q (want old and new)", f.Name)
		}
	}
	if m.file == "" || m.tests == nil || m.want == "" || len(m.old) == 0 {
		return m, errors.New("a mutant needs file:, tests:, want: and a section -- old --")
	}
	found := false
	for _, ex := range ch.exercises {
		if ex.ref == m.file {
			m.ex, found = ex, true
		}
	}
	if !found {
		return m, fmt.Errorf("%s is not the reference file of an exercise", m.file)
	}
	return m, nil
}

// runMutant tests the mutant's package with the mutant in place of the reference file, and
// returns the tests that failed saying m.want.
func (ch *chapter) runMutant(m mutant) ([]string, error) {
	src, err := os.ReadFile(ch.abs(m.file))
	if err != nil {
		return nil, err
	}
	if n := bytes.Count(src, m.old); n != 1 {
		return nil, fmt.Errorf("its old text occurs %d times in %s, not once: update the mutant", n, m.file)
	}
	tmp, err := os.MkdirTemp("", "workshopcheck-mutant-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	mutated := filepath.Join(tmp, filepath.Base(m.file))
	overlay := filepath.Join(tmp, "overlay.json")
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {ch.abs(m.file): mutated}})
	if err := os.WriteFile(mutated, bytes.Replace(src, m.old, m.new, 1), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(overlay, ov, 0o644); err != nil {
		return nil, err
	}
	res, err := runTests(ch.dir, "./"+m.ex.pkg, "-overlay", overlay, "-run", m.tests.String())
	if err != nil {
		return nil, err
	}
	var failing, problems []string
	for _, k := range sortedKeys(res) {
		r := res[k]
		switch {
		case r.passed:
			problems = append(problems, fmt.Sprintf("test %s passes with the mistake in %s", k.test, m.file))
		case !strings.Contains(r.output.String(), m.want):
			problems = append(problems, fmt.Sprintf("test %s fails, but its message does not say %q:\n%s", k.test, m.want, r.output.String()))
		default:
			failing = append(failing, k.test)
		}
	}
	if len(res) == 0 {
		problems = append(problems, fmt.Sprintf("no test of ./%s matches %s", m.ex.pkg, m.tests))
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return failing, nil
}
