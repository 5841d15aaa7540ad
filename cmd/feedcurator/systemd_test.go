package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSystemdUnit checks packaging/systemd/feedcurator.service with
// systemd-analyze: verify is clean (with ExecStart pointing at a real build)
// and the security exposure is at most 2.0.
func TestSystemdUnit(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze")
	unit, err := os.ReadFile(filepath.Join("..", "..", "packaging", "systemd", "feedcurator.service"))
	if err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "feedcurator.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/feedcurator", bin)), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(analyze, "security", "--offline=yes", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for feedcurator.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	level, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security --offline=yes: exposure %.1f", level)
	if level > 2.0 {
		t.Errorf("exposure %.1f, want at most 2.0\n%s", level, out)
	}

	out, err = exec.Command(analyze, "verify", path).CombinedOutput()
	// verify also lints units the file pulls in (network-online.target and
	// friends from the host); only lines about this unit count.
	var own []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "feedcurator.service") {
			own = append(own, l)
		}
	}
	if len(own) > 0 {
		t.Errorf("systemd-analyze verify (%v):\n%s", err, strings.Join(own, "\n"))
	}
}
