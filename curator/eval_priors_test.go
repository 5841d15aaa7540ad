package curator_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
)

// labelledSet is one labelled set of the repository, by name.
type labelledSet struct {
	name  string
	items []curator.Labelled
}

// labelledSets are every labelled set of the repository: the labelled
// files and the past issues of digest/testdata/archive (whose items name
// no source).
func labelledSets(t *testing.T) []labelledSet {
	t.Helper()
	var sets []labelledSet
	for _, name := range []string{"tune.yaml", "holdout.yaml", "feeds.yaml", "sources.yaml"} {
		sets = append(sets, labelledSet{name, loadLabelled(t, name)})
	}
	var archive []curator.Labelled
	for _, is := range archiveIssues(t) {
		archive = append(archive, is...)
	}
	return append(sets, labelledSet{"archive", archive})
}

// sectionFigures formats a report's accuracy and per-section precision
// and recall on one line.
func sectionFigures(r curator.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5.1f%% (%3d of %3d)", 100*r.Accuracy, r.Correct, r.Total)
	for _, s := range r.Stats {
		if s.Labelled == 0 && s.Decided == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s P%.2f R%.2f", s.Section, s.Precision, s.Recall)
	}
	return b.String()
}

// TestSourcePriors measures what the sources' settings in
// config.example.yaml (default sections and biases) do on every labelled
// set: the default rules as configured against the same rules with the
// source settings removed, on all items and on the items whose source has
// settings. sources.yaml holds items of those sources only, written for this
// measurement and never tuned on. Reproduce the figures with
//
//	go test ./curator -run TestSourcePriors -v
func TestSourcePriors(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	configured := map[string]bool{}
	for i := range cfg.Sources {
		if cfg.Sources[i].Section != "" || len(cfg.Sources[i].Bias) > 0 {
			configured[cfg.Sources[i].Name] = true
		}
		cfg.Sources[i].Section, cfg.Sources[i].Bias = "", nil
	}
	bare, err := cfg.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	// Correct decisions of the rules as configured, per set: every item and
	// the items of sources with settings. No set may lose any.
	floor := map[string][2]int{
		"tune.yaml":    {160, 10},
		"holdout.yaml": {94, 3},
		"feeds.yaml":   {65, 19},
		"sources.yaml": {55, 55},
		"archive":      {168, 0},
	}
	for _, set := range labelledSets(t) {
		var sourced []curator.Labelled
		for _, it := range set.items {
			if configured[it.Source] {
				sourced = append(sourced, it)
			}
		}
		all, allBare := curator.Evaluate(rs, set.items), curator.Evaluate(bare, set.items)
		src, srcBare := curator.Evaluate(rs, sourced), curator.Evaluate(bare, sourced)
		t.Logf("%s:\n  all items       configured %s\n                  no settings %s\n  sourced items   configured %s\n                  no settings %s",
			set.name, sectionFigures(all), sectionFigures(allBare), sectionFigures(src), sectionFigures(srcBare))
		if f, ok := floor[set.name]; !ok || all.Correct < f[0] || src.Correct < f[1] {
			var b strings.Builder
			for _, m := range all.Misses {
				if set.name != "holdout.yaml" && set.name != "sources.yaml" { // held out: figures only
					fmt.Fprintf(&b, "\n  line %d: want %s, got %s: %s", m.Line, m.Want, m.Got, m.Title)
				}
			}
			t.Errorf("%s: %d correct, %d of the sourced items; want at least %v%s", set.name, all.Correct, src.Correct, f, b.String())
		}
	}
}
