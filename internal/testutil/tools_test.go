package testutil

import (
	"path/filepath"
	"testing"
)

// TestMissingLeavesOutOneCheck: a missing tool or file leaves out its check
// only; the test goes on, and is not marked skipped.
func TestMissingLeavesOutOneCheck(t *testing.T) {
	t.Setenv("FEEDCURATOR_REQUIRE_TOOLS", "")
	ran := false
	t.Run("inner", func(t *testing.T) {
		if _, ok := Tool(t, "no-such-checker-feedcurator"); ok {
			t.Error("a missing tool was found")
		}
		if File(t, filepath.Join(t.TempDir(), "atom.rnc")) {
			t.Error("a missing file was found")
		}
		ran = true
	})
	if !ran {
		t.Error("the test stopped at the missing tool")
	}
	if p, ok := Tool(t, "sh"); !ok || p == "" {
		t.Errorf("sh not found: %q", p)
	}
}
