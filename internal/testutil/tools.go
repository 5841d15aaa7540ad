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
