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
	// the items of sources with settings, as measured when the default
	// section became a prior (the same as before: with the rules alone, the
	// prior changed no decision on these sets). No set may lose any.
	floor := map[string][2]int{
		"tune.yaml":    {160, 10},
		"holdout.yaml": {94, 3},
		"feeds.yaml":   {65, 19},
		"sources.yaml": {55, 55},
		"archive":      {168, 0},
	}
	sets := labelledSets(t)
	for _, set := range sets {
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
		if f, ok := floor[set.name]; !ok || all.Correct < f[0] || src.Correct < f[1] || all.Correct < allBare.Correct || src.Correct < srcBare.Correct {
			var b strings.Builder
			for _, m := range all.Misses {
				if set.name != "holdout.yaml" && set.name != "sources.yaml" { // held out: figures only
					fmt.Fprintf(&b, "\n  line %d: want %s, got %s: %s", m.Line, m.Want, m.Got, m.Title)
				}
			}
			t.Errorf("%s: %d correct, %d of the sourced items; want at least %v and no fewer than without the source settings (%d, %d)%s",
				set.name, all.Correct, src.Correct, f, allBare.Correct, srcBare.Correct, b.String())
		}
	}

	// With the learned part: 10-fold cross-validation over the sets the
	// rules were not tuned on, the model trained on the other folds.
	var pool []curator.Labelled
	var from []string
	for _, set := range sets {
		if set.name == "tune.yaml" {
			continue
		}
		for range set.items {
			from = append(from, set.name)
		}
		pool = append(pool, set.items...)
	}
	w := curator.DefaultLearnedWeight
	cv := curator.CrossValidate(rs, pool, 10, w, curator.LearnOptions{})
	cvBare := curator.CrossValidate(bare, pool, 10, w, curator.LearnOptions{})
	wrong := func(r curator.Report) map[string]int {
		n := map[string]int{}
		for _, m := range r.Misses {
			n[from[m.Index]]++
			if configured[pool[m.Index].Source] {
				n["sourced"]++
			}
		}
		return n
	}
	got, gotBare := wrong(cv.Combined), wrong(cvBare.Combined)
	total := map[string]int{}
	for i, it := range pool {
		total[from[i]]++
		if configured[it.Source] {
			total["sourced"]++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rules+learned (weight %g), 10-fold cross-validation over %d items: configured %.1f%%, no settings %.1f%%",
		w, len(pool), 100*cv.Combined.Accuracy, 100*cvBare.Combined.Accuracy)
	for _, name := range []string{"holdout.yaml", "feeds.yaml", "sources.yaml", "archive", "sourced"} {
		fmt.Fprintf(&b, "\n  %-12s configured %3d of %3d, no settings %3d of %3d", name,
			total[name]-got[name], total[name], total[name]-gotBare[name], total[name])
	}
	t.Log(b.String())
	// As measured: the default section's prior decides one close call of
	// sources.yaml the learned part had tipped the wrong way (Docker Blog,
	// "9 Tips for Containerizing Your Node.js Application": paas before,
	// containers now) and loses none.
	cvFloor := map[string]int{"holdout.yaml": 94, "feeds.yaml": 63, "sources.yaml": 56, "archive": 169, "sourced": 76}
	for name, f := range cvFloor {
		if c, cb := total[name]-got[name], total[name]-gotBare[name]; c < f || c < cb {
			t.Errorf("rules+learned on %s: %d of %d correct, want at least %d and no fewer than without the source settings (%d)", name, c, total[name], f, cb)
		}
	}
}
