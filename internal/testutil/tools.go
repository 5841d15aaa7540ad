// Package testutil holds helpers shared by the tests of several packages.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of an external checker (jing, newsboat,
// chromium…), skipping the test when it is missing, or failing it when
// FEEDCURATOR_REQUIRE_TOOLS is set (as CI does after installing them).
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FEEDCURATOR_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is required (FEEDCURATOR_REQUIRE_TOOLS is set): %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// Tool is RequireTool for a check that is one part of a test: it returns
// false, with a note in the test's log, when the tool is missing, so that
// only that check is left out and the rest of the test runs. With
// FEEDCURATOR_REQUIRE_TOOLS set it fails the test instead.
func Tool(t testing.TB, name string) (string, bool) {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FEEDCURATOR_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is required (FEEDCURATOR_REQUIRE_TOOLS is set): %v", name, err)
		}
		t.Logf("%s not installed: that check is left out", name)
		return "", false
	}
	return p, true
}

// File is Tool for a file outside the checkout (../shared/atom.rnc, the
// sample digests): false, with a note, when it is missing.
func File(t testing.TB, path string) bool {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("FEEDCURATOR_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is required (FEEDCURATOR_REQUIRE_TOOLS is set): %v", path, err)
		}
		t.Logf("%s not found: that check is left out", path)
		return false
	}
	return true
}
