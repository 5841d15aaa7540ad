package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that notes Errorf instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	Golden(t, path, []byte("a\nb\n"), true) // writes, folder included
	if got, _ := os.ReadFile(path); string(got) != "a\nb\n" {
		t.Fatalf("update wrote %q", got)
	}
	Golden(t, path, []byte("a\nb\n"), false)

	r := &recorder{TB: t}
	Golden(r, path, []byte("a\nc\n"), false)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "line 2:\n  - b\n  + c") || !strings.Contains(r.errors[0], path) {
		t.Errorf("a differing output reported as %q", r.errors)
	}
}

func TestLineDiffStopsAtTen(t *testing.T) {
	want := strings.Repeat("x\n", 20)
	got := strings.Repeat("y\n", 20)
	d := LineDiff(want, got)
	if strings.Count(d, "line ") != 10 || !strings.HasSuffix(d, "…\n") {
		t.Errorf("diff of 20 differing lines:\n%s", d)
	}
}
