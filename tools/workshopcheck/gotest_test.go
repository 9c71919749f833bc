package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A goroutine that panics ends the test binary in the middle of a test, and go test -json
// reports no fail for that test: runTests must not count it as passed.
func TestRunTestsReportsATestTheBinaryDiedIn(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module crash\n\ngo 1.24\n",
		"crash_test.go": `package crash

import (
	"testing"
	"time"
)

func TestBefore(t *testing.T) {}

func TestCrashes(t *testing.T) {
	go func() { panic("boom in a goroutine") }()
	time.Sleep(5 * time.Second)
}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GOWORK", "off")
	res, err := runTests(dir, "./...")
	if err == nil {
		t.Fatalf("runTests returned no error; TestCrashes passed=%v", res[testKey{".", "TestCrashes"}].passed)
	}
	for _, want := range []string{"ended during TestCrashes", "boom in a goroutine"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error should say %q:\n%v", want, err)
		}
	}
}
