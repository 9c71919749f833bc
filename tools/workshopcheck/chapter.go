package main

import (
	"bufio"
	"errors"
	"fmt"
	"go/build/constraint"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

const directive = "//etcdwalk:exercise "

// A chapter is a directory chapters/NN-name with its exercises; its tag, workshop_NN, switches on
// all of them.
type chapter struct {
	dir       string // as given, e.g. chapters/03-propose-wait/
	tag       string
	exercises []exercise
	helpers   []string // twins without a directive: workshop-only code the exercises share
	mutants   []mutant
}

type exercise struct {
	name, tag   string
	tests, skip *regexp.Regexp
	pkg         string // the package directory, relative to the chapter
	twin, ref   string // the files, relative to the chapter
}

// claims reports whether test must fail while the exercise is unwritten.
func (ex exercise) claims(test string) bool {
	return ex.tests.MatchString(test) && (ex.skip == nil || !ex.skip.MatchString(test))
}

var chapterName = regexp.MustCompile(`^(\d\d)-`)

// loadChapters reads the exercises and mutants of every chapter directory, and checks that no
// two exercises share a name or a tag.
func loadChapters(dirs []string) ([]*chapter, error) {
	var chapters []*chapter
	seen := map[string]string{}
	var errs []error
	for _, dir := range dirs {
		ch, err := loadChapter(filepath.Clean(dir))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ex := range ch.exercises {
			for _, key := range []string{"name " + ex.name, "tag " + ex.tag} {
				if other, ok := seen[key]; ok {
					errs = append(errs, fmt.Errorf("%s/%s: %s is taken by %s", ch.dir, ex.twin, key, other))
				}
				seen[key] = ch.dir + "/" + ex.twin
			}
		}
		chapters = append(chapters, ch)
	}
	return chapters, errors.Join(errs...)
}

func loadChapter(dir string) (*chapter, error) {
	m := chapterName.FindStringSubmatch(filepath.Base(dir))
	if m == nil {
		return nil, fmt.Errorf("%s: a chapter directory is named NN-name", dir)
	}
	ch := &chapter{dir: dir, tag: "workshop_" + m[1]}
	var mutantFiles []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case strings.HasSuffix(path, "_workshop.go"):
			exs, err := parseDirectives(path, rel)
			if err != nil {
				return err
			}
			if len(exs) == 0 {
				ch.helpers = append(ch.helpers, rel)
			}
			ch.exercises = append(ch.exercises, exs...)
		case filepath.Base(filepath.Dir(rel)) == "mutants" && strings.HasSuffix(path, ".txtar"):
			mutantFiles = append(mutantFiles, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	for _, rel := range mutantFiles {
		m, err := ch.loadMutant(rel)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", dir, rel, err)
		}
		ch.mutants = append(ch.mutants, m)
	}
	return ch, nil
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
		ex := exercise{pkg: pkgOf(rel), twin: rel, ref: strings.TrimSuffix(rel, "_workshop.go") + ".go"}
		for _, field := range strings.Fields(strings.TrimPrefix(line, directive)) {
			k, v, _ := strings.Cut(field, "=")
			var err error
			switch k {
			case "name":
				ex.name = v
			case "tag":
				ex.tag = v
			case "tests":
				ex.tests, err = regexp.Compile(v)
			case "skip":
				ex.skip, err = regexp.Compile(v)
			default:
				err = fmt.Errorf("unknown field (want name=, tag=, tests= and maybe skip=)")
			}
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %s: %w", rel, n, field, err)
			}
		}
		if ex.name == "" || ex.tests == nil || !strings.HasPrefix(ex.tag, "workshop_") {
			return nil, fmt.Errorf("%s:%d: an exercise needs name=, tag=workshop_... and tests=", rel, n)
		}
		exs = append(exs, ex)
	}
	return exs, sc.Err()
}

// checkBuildLines requires each twin to be compiled with its exercise's tag or the chapter's, and
// with no other exercise's; its reference file exactly when the twin is not; and the helpers
// with the chapter's tag and never without a tag.
func (ch *chapter) checkBuildLines() error {
	var errs []error
	for _, ex := range ch.exercises {
		want := fmt.Sprintf("%s || %s", ch.tag, ex.tag)
		for _, f := range []struct {
			file string
			ref  bool
		}{{ex.twin, false}, {ex.ref, true}} {
			expr, err := buildLine(ch.abs(f.file))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ok := true
			check := func(tags ...string) {
				set := map[string]bool{}
				for _, t := range tags {
					set[t] = true
				}
				on := set[ch.tag] || set[ex.tag]
				ok = ok && expr.Eval(func(tag string) bool { return set[tag] }) == (on != f.ref)
			}
			check()
			check(ch.tag)
			check(ex.tag)
			for _, other := range ch.exercises {
				check(other.tag)
			}
			if !ok {
				line := "//go:build " + want
				if f.ref {
					line = "//go:build !(" + want + ")"
				}
				errs = append(errs, fmt.Errorf("%s: its first line must be %s, not //go:build %s", f.file, line, expr))
			}
		}
	}
	for _, h := range ch.helpers {
		expr, err := buildLine(ch.abs(h))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		none := expr.Eval(func(string) bool { return false })
		all := expr.Eval(func(tag string) bool { return tag == ch.tag })
		if none || !all {
			errs = append(errs, fmt.Errorf("%s: a workshop-only helper must be compiled with -tags %s and without a tag never (it has //go:build %s)", h, ch.tag, expr))
		}
	}
	return errors.Join(errs...)
}

// buildLine returns the //go:build expression of a Go file.
func buildLine(path string) (constraint.Expr, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if constraint.IsGoBuild(line) {
			return constraint.Parse(line)
		}
		if strings.HasPrefix(line, "package ") {
			break
		}
	}
	return nil, fmt.Errorf("%s has no //go:build line", path)
}

func (ch *chapter) abs(rel string) string {
	a, err := filepath.Abs(filepath.Join(ch.dir, rel))
	if err != nil {
		panic(err)
	}
	return a
}

// rel names a file relative to the chapter when it is inside it, from the working directory
// otherwise.
func (ch *chapter) rel(abs string) string {
	if r, err := filepath.Rel(ch.abs("."), abs); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, abs); err == nil {
			return r
		}
	}
	return abs
}

func pkgOf(rel string) string { return filepath.ToSlash(filepath.Dir(rel)) }
