package curator_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

// TestWithModel: the learned part decides where the rules are silent, adds
// to their scores, is explained term by term, and leaves the rules in
// charge where they decided.
func TestWithModel(t *testing.T) {
	rules := exampleRuleset(t)
	m := trainedModel(t)
	if same, err := rules.WithModel(m, 0); err != nil || same != rules {
		t.Errorf("weight 0: %v, %v; want the rules themselves", same, err)
	}
	if same, err := rules.WithModel(nil, 1); err != nil || same != rules {
		t.Errorf("no model: %v, %v; want the rules themselves", same, err)
	}
	for _, w := range []float64{-1, math.Inf(1), math.NaN()} {
		if _, err := rules.WithModel(m, w); !errors.Is(err, curator.ErrBadLearnedWeight) {
			t.Errorf("weight %v: %v, want ErrBadLearnedWeight", w, err)
		}
	}
	rs, err := rules.WithModel(m, curator.DefaultLearnedWeight)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Version() == rules.Version() {
		t.Error("the blended ruleset has the rules' version: stored decisions would not be redone")
	}
	if again, _ := rules.WithModel(m, curator.DefaultLearnedWeight); again.Version() != rs.Version() {
		t.Error("the same model and weight give another version")
	}

	// An item no rule scores goes to the fallback by the rules alone; the
	// learned part sends it where its words usually go.
	var examples []curator.Labelled
	for _, title := range []string{"Zorblax raises money", "Zorblax buys a rival", "Zorblax opens an office", "Zorblax hires a chief", "Zorblax results"} {
		examples = append(examples, curator.Labelled{Title: title, Section: "industry"})
	}
	taught, err := rules.WithModel(curator.Train([]string{"containers", "paas", "industry", "misc"}, append(examples, smallTraining...), curator.LearnOptions{}), 1)
	if err != nil {
		t.Fatal(err)
	}
	silent := &feeds.Item{Title: "Zorblax, this week"}
	if d := rules.Classify(silent); d.Section != "misc" || d.Score != 0 {
		t.Fatalf("rules alone: %+v, want the fallback with no score", d)
	}
	if d := taught.Classify(silent); d.Section != "industry" {
		t.Errorf("with the learned part: %+v, want industry, where Zorblax went five times", d)
	}
	rs = taught
	ex := rs.Explain(silent)
	d := rs.Classify(silent)
	if d.Section != ex.Section || d.Score != ex.Score {
		t.Errorf("Classify %+v and Explain %s %v disagree", d, ex.Section, ex.Score)
	}
	if ex.Learned == nil || ex.LearnedWeight != 1 {
		t.Fatalf("no learned part in the explanation: %+v", ex)
	}
	learnedSomewhere := false
	for _, s := range ex.Scores {
		if math.Abs(s.Score-(s.Rules+s.Bias+s.SourceDefault+s.Learned)) > 1e-9 {
			t.Errorf("%s: score %v is not rules %v + bias %v + source default %v + learned %v", s.Section, s.Score, s.Rules, s.Bias, s.SourceDefault, s.Learned)
		}
		learnedSomewhere = learnedSomewhere || s.Learned != 0
	}
	if !learnedSomewhere {
		t.Errorf("the learned part added nothing: %+v", ex.Scores)
	}
	var b strings.Builder
	if err := ex.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "learned:") || !strings.Contains(b.String(), "(rules ") {
		t.Errorf("explain text lacks the learned part:\n%s", b.String())
	}

	// Where the rules decided firmly, on the labelled holdout, blending
	// keeps most decisions: the learned part tips close calls.
	kept, firm := 0, 0
	for _, l := range loadLabelled(t, "holdout.yaml") {
		it := l.Item()
		r := rules.Classify(&it)
		if r.Score < 6 {
			continue
		}
		firm++
		if rs.Classify(&it).Section == r.Section {
			kept++
		}
	}
	if firm == 0 || float64(kept) < 0.9*float64(firm) {
		t.Errorf("blending changed %d of the %d items the rules scored 6 or more", firm-kept, firm)
	}
}
