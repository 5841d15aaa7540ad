package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the package graph one-directional: feeds at the bottom, the
// stages and the store on it but never on each other, cmd on top.
func TestDeps(t *testing.T) {
	const mod = "github.com/feedcurator/feedcurator"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	// What each package of the module may import from the module.
	stage := []string{"feeds", "internal/logkey", "internal/atomicfile", "internal/xmlscan"}
	allowed := map[string][]string{
		"":                    {},
		"feeds":               {"internal/xmlscan"}, // a leaf but for the scanning helpers it shares with aggregator
		"internal/xmlscan":    {},
		"internal/logkey":     {},
		"internal/atomicfile": {},
		"internal/testutil":   {},
		"internal/gctune":     {},
		"demo":                {},
		"aggregator":          stage,
		"curator":             stage,
		"publisher":           stage,
		"digest":              stage,
		"sqlite":              {"feeds"},
		"config":              {"curator", "feeds", "aggregator", "publisher", "digest"}, // the stages state their own defaults
		// The desk's tests import sqlite too (test imports are not in .Imports).
		"desk":              {"feeds", "digest", "curator", "internal/logkey", "internal/webguard"},
		"internal/webguard": {},
		"daemon": {"config", "aggregator", "curator", "publisher", "digest", "sqlite", "feeds",
			"internal/logkey", "internal/gctune", "internal/atomicfile"},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], mod), "/")
		if strings.HasPrefix(pkg, "cmd/") {
			continue
		}
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %q has no rule in TestDeps: add one", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, mod), "/")
			permitted := false
			for _, a := range ok {
				permitted = permitted || a == dep
			}
			if !permitted {
				t.Errorf("%s imports %s", fields[0], imp)
			}
		}
	}
}
