package curator_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
)

func loadLabelled(t *testing.T, name string) []curator.Labelled {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "labelled", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := config.LoadLabelled(f)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func exampleRuleset(t testing.TB) *curator.Ruleset {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestExampleRulesAccuracy measures the default rules of config.example.yaml
// on the labelled items they were tuned on. Reproduce the report with
//
//	go test ./curator -run TestExampleRulesAccuracy -v
func TestExampleRulesAccuracy(t *testing.T) {
	rs := exampleRuleset(t)
	tune := curator.Evaluate(rs, loadLabelled(t, "tune.yaml"))
	holdout := curator.Evaluate(rs, loadLabelled(t, "holdout.yaml"))
	t.Logf("tune: %.1f%% (%d of %d); holdout: %.1f%% (%d of %d)",
		100*tune.Accuracy, tune.Correct, tune.Total, 100*holdout.Accuracy, holdout.Correct, holdout.Total)
	if tune.Total < 100 || holdout.Total < 50 {
		t.Errorf("labelled sets too small: %d tune, %d holdout", tune.Total, holdout.Total)
	}
	var b strings.Builder
	if err := tune.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if tune.Accuracy < 0.90 {
		t.Errorf("accuracy on tune.yaml %.1f%% < 90%%\n%s", 100*tune.Accuracy, b.String())
	} else if testing.Verbose() {
		t.Logf("tune.yaml:\n%s", b.String())
	}
}

// TestExampleRulesHoldout checks the default rules on items that were set
// aside before the rules were tuned and are never used to tune them. It
// prints the figure only, never the misclassified items, so that they do not
// leak into the next round of tuning.
func TestExampleRulesHoldout(t *testing.T) {
	rep := curator.Evaluate(exampleRuleset(t), loadLabelled(t, "holdout.yaml"))
	t.Logf("holdout: %.1f%% (%d of %d)", 100*rep.Accuracy, rep.Correct, rep.Total)
	if rep.Accuracy < 0.85 {
		t.Errorf("accuracy on holdout.yaml %.1f%% < 85%%", 100*rep.Accuracy)
	}
}

// TestLabelledSetsDisjoint keeps the holdout honest: no item in both files.
func TestLabelledSetsDisjoint(t *testing.T) {
	seen := map[string]bool{}
	for _, it := range loadLabelled(t, "tune.yaml") {
		seen[it.Title] = true
	}
	for _, it := range loadLabelled(t, "holdout.yaml") {
		if seen[it.Title] {
			t.Errorf("%q is in both tune.yaml and holdout.yaml", it.Title)
		}
	}
}

func TestEvaluate(t *testing.T) {
	rs := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 1})
	items := []curator.Labelled{
		{Title: "浅谈Docker安全", Section: "containers", Line: 1},
		{Title: "Kubernetes 落地实践", Section: "paas", Line: 4},
		{Title: "Docker 收购了一家公司", Section: "industry", Line: 7}, // containers 4 vs industry 4: tie to containers
		{Title: "Rust 1.0", Section: "misc", Line: 10},
		{Title: "Go 1.0", Section: "golang", Line: 13}, // a label the rules lack
	}
	rep := curator.Evaluate(rs, items)
	if rep.Total != 5 || rep.Correct != 3 || rep.Accuracy != 0.6 {
		t.Errorf("total %d correct %d accuracy %v", rep.Total, rep.Correct, rep.Accuracy)
	}
	if got := strings.Join(rep.Sections, ","); got != "containers,paas,industry,misc,golang" {
		t.Errorf("sections %s", got)
	}
	if rep.Confusion[2][0] != 1 || rep.Confusion[4][3] != 1 || rep.Confusion[0][0] != 1 {
		t.Errorf("confusion %v", rep.Confusion)
	}
	c := rep.Stats[0]
	if c.Labelled != 1 || c.Decided != 2 || c.Correct != 1 || c.Precision != 0.5 || c.Recall != 1 || c.F1 != 2.0/3 {
		t.Errorf("containers stats %+v", c)
	}
	if len(rep.Misses) != 2 || rep.Misses[0].Line != 7 || rep.Misses[0].Got != "containers" || rep.Misses[1].Want != "golang" {
		t.Errorf("misses %+v", rep.Misses)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "report.golden.txt"), []byte(b.String()))

	if empty := curator.Evaluate(rs, nil); empty.Accuracy != 0 || empty.Total != 0 {
		t.Errorf("empty report %+v", empty)
	}
}
