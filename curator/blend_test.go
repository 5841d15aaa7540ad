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

	// Items no rule scores go to the fallback by the rules alone; the
	// learned part sends some of them where their words usually go.
	var silent *feeds.Item
	moved := 0
	for _, l := range append(loadLabelled(t, "holdout.yaml"), loadLabelled(t, "feeds.yaml")...) {
		it := l.Item()
		if d := rules.Classify(&it); d.Score != 0 {
			continue
		}
		if rs.Classify(&it).Section != rules.Classify(&it).Section {
			moved++
			if silent == nil {
				silent = &it
			}
		}
	}
	if silent == nil {
		t.Fatal("the learned part decided none of the items the rules left to the fallback")
	}
	t.Logf("%d items the rules left to the fallback went elsewhere", moved)
	ex := rs.Explain(silent)
	d := rs.Classify(silent)
	if d.Section != ex.Section || d.Score != ex.Score {
		t.Errorf("Classify %+v and Explain %s %v disagree", d, ex.Section, ex.Score)
	}
	if ex.Learned == nil || ex.LearnedWeight != curator.DefaultLearnedWeight {
		t.Fatalf("no learned part in the explanation: %+v", ex)
	}
	learnedSomewhere := false
	for _, s := range ex.Scores {
		if math.Abs(s.Score-(s.Rules+s.Bias+s.Learned)) > 1e-9 {
			t.Errorf("%s: score %v is not rules %v + bias %v + learned %v", s.Section, s.Score, s.Rules, s.Bias, s.Learned)
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
