package curator_test

import (
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

// TestReview: a close call is marked for the editor's review instead of
// falling silently into a section.
func TestReview(t *testing.T) {
	sections := []curator.SectionSpec{
		{ID: "paas", Title: "PaaS", Rules: []curator.RuleSpec{{Keywords: []string{"kubernetes"}}}},
		{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{{Keywords: []string{"收购", "acquire"}}}},
		{ID: "misc", Title: "大杂烩"},
	}
	rs, err := curator.Compile(sections, curator.Options{Threshold: 2, ReviewMargin: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		title, summary string
		section        string
		review         bool
	}{
		{"Kubernetes 1.35", "kubernetes", "paas", false},           // paas 2, nothing else
		{"SUSE to acquire a Kubernetes company", "", "paas", true}, // paas 2, industry 2: a tie
		{"Kubernetes 收购", "", "paas", true},                        // the same, in Chinese
		{"一周", "kubernetes", "misc", true},                         // paas 1, below the threshold
		{"一周", "", "misc", false},                                  // nothing scored
	} {
		it := feeds.Item{Title: tc.title, Summary: tc.summary}
		d := rs.Classify(&it)
		ex := rs.Explain(&it)
		if d.Section != tc.section || d.Review != tc.review {
			t.Errorf("%q: %s, review %v; want %s, review %v (%+v)", tc.title, d.Section, d.Review, tc.section, tc.review, ex.Scores)
		}
		if ex.Review != d.Review {
			t.Errorf("%q: Classify says review %v, Explain %v", tc.title, d.Review, ex.Review)
		}
	}
	// Below the threshold, only a score within the margin of it is a close
	// call: a faint lean (a word of one section, a learned part's slight
	// preference) is not.
	high, err := curator.Compile(sections, curator.Options{Threshold: 3, ReviewMargin: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		summary string
		review  bool
	}{{"kubernetes", false}, {"kubernetes kubernetes", false}} {
		it := feeds.Item{Title: "一周", Summary: tc.summary}
		if d := high.Classify(&it); d.Section != "misc" || d.Review != tc.review {
			t.Errorf("threshold 3, %q: %+v, want misc, review %v (%+v)", tc.summary, d, tc.review, high.Explain(&it).Scores)
		}
	}
	near := feeds.Item{Title: "Kubernetes 1.35", Summary: "kubernetes"}
	if d := high.Classify(&near); d.Section != "misc" || !d.Review {
		t.Errorf("threshold 3, paas 2: %+v, want misc marked for review (%+v)", d, high.Explain(&near).Scores)
	}
	close := feeds.Item{Title: "SUSE to acquire a Kubernetes company"}
	off, _ := curator.Compile(sections, curator.Options{Threshold: 2})
	if d := off.Classify(&close); d.Review {
		t.Errorf("margin 0 marks reviews: %+v", d)
	}
	if off.Version() == rs.Version() {
		t.Error("the review margin does not change the rules version")
	}
}

// TestTies: a tie goes to the source's default section before the earlier
// section, and is a close call all the same.
func TestTies(t *testing.T) {
	sections := []curator.SectionSpec{
		{ID: "paas", Title: "PaaS", Rules: []curator.RuleSpec{{Keywords: []string{"kubernetes"}}}},
		{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{{Keywords: []string{"acquire"}}}},
		{ID: "misc", Title: "大杂烩", Rules: []curator.RuleSpec{{Keywords: []string{"rust"}}}},
	}
	rs, err := curator.Compile(sections, curator.Options{ReviewMargin: 1, Sources: []curator.SourceOptions{
		{Name: "TechCrunch", Section: "industry"}, {Name: "Lobsters", Section: "misc"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ title, source, want string }{
		{"SUSE to acquire a Kubernetes company", "", "paas"},               // no source: the earlier section
		{"SUSE to acquire a Kubernetes company", "TechCrunch", "industry"}, // the source's default section
		{"Rust on Kubernetes", "Lobsters", "misc"},                         // misc wins its tie too
	} {
		it := feeds.Item{Title: tc.title, Stored: feeds.Stored{SourceName: tc.source}}
		d := rs.Classify(&it)
		if d.Section != tc.want || !d.Review {
			t.Errorf("%q from %q: %s (review %v), want %s marked for review", tc.title, tc.source, d.Section, d.Review, tc.want)
		}
		if ex := rs.Explain(&it); ex.Section != d.Section {
			t.Errorf("%q: Explain decides %s, Classify %s", tc.title, ex.Section, d.Section)
		}
	}
}

// TestFinalRuleWins: an event outranks the topic words around it, the
// learned part included, and the explanation says why.
func TestFinalRuleWins(t *testing.T) {
	sections := []curator.SectionSpec{
		{ID: "paas", Title: "PaaS", Rules: []curator.RuleSpec{{Keywords: []string{"kubernetes", "rancher", "cluster"}, Weight: 3}}},
		{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{{Name: "acquisitions", Keywords: []string{"acquire", "收购"}, Fields: []string{"title"}, Final: true}}},
		{ID: "misc", Title: "大杂烩"},
	}
	rs, err := curator.Compile(sections, curator.Options{Threshold: 2, ReviewMargin: 1})
	if err != nil {
		t.Fatal(err)
	}
	it := feeds.Item{Title: "SUSE to Acquire Rancher Labs, the Kubernetes cluster company"}
	d := rs.Classify(&it)
	ex := rs.Explain(&it)
	if d.Section != "industry" || ex.Decision != curator.ByFinalRule || d.Review {
		t.Errorf("%+v, decided %s: want industry by the final rule, not for review", d, ex.Decision)
	}
	var b strings.Builder
	ex.WriteText(&b)
	if !strings.Contains(b.String(), "a rule marked final fired (sections[1].rules[0])") {
		t.Errorf("explain text:\n%s", b.String())
	}
	// Not in the title: the rule reads titles only, and the topic wins.
	it = feeds.Item{Title: "Rancher on a Kubernetes cluster", Summary: "after SUSE acquired it"}
	if d := rs.Classify(&it); d.Section != "paas" {
		t.Errorf("acquisition in the summary only: %+v, want paas", d)
	}
	// The learned part does not overturn it.
	var examples []curator.Labelled
	for i := 0; i < 20; i++ {
		examples = append(examples, curator.Labelled{Title: "Acquire Rancher Kubernetes", Section: "paas"})
	}
	blended, err := rs.WithModel(curator.Train([]string{"paas", "industry", "misc"}, examples, curator.LearnOptions{}), 5)
	if err != nil {
		t.Fatal(err)
	}
	it = feeds.Item{Title: "SUSE to Acquire Rancher Labs, the Kubernetes cluster company"}
	if d := blended.Classify(&it); d.Section != "industry" {
		t.Errorf("with a learned part that says paas: %+v, want industry", d)
	}
}

// TestDefaultPriorReview: the prior of a source's default section is no
// evidence of its own. An item nothing else claims goes to the default
// section without a review, and a close call between the rules and the
// source's default is one.
func TestDefaultPriorReview(t *testing.T) {
	rs, err := curator.Compile(digestSections, curator.Options{Fallback: "misc", Threshold: 3, ReviewMargin: 1, Sources: []curator.SourceOptions{
		{Name: "Kubernetes Blog", Section: "paas"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		title, summary, source, want string
		review                       bool
	}{
		{"Spotlight on SIG Docs", "", "Kubernetes Blog", "paas", false},  // the prior alone
		{"Spotlight on SIG Docs", "落地", "Kubernetes Blog", "paas", true}, // 1+1.5, below the threshold
		{"Docker", "kubernetes", "Kubernetes Blog", "containers", true},  // 4 against 2+1.5
		{"Docker", "kubernetes", "", "containers", false},                // 4 against 2
	} {
		it := feeds.Item{Title: tc.title, Summary: tc.summary, Stored: feeds.Stored{SourceName: tc.source}}
		d := rs.Classify(&it)
		if ex := rs.Explain(&it); d.Section != tc.want || d.Review != tc.review || ex.Review != d.Review {
			t.Errorf("%q/%q from %q: %s (review %v, explained %v), want %s (review %v)", tc.title, tc.summary, tc.source, d.Section, d.Review, ex.Review, tc.want, tc.review)
		}
	}
}

// TestBiasPrior: a source's bias counts for every item of the source: in
// full for a section whose rules fired, else as a prior of half of it (at
// most half the threshold), which tips close calls but never decides alone
// and makes no close call of an item nothing claims.
func TestBiasPrior(t *testing.T) {
	sections := []curator.SectionSpec{
		{ID: "paas", Title: "PaaS", Rules: []curator.RuleSpec{{Keywords: []string{"kubernetes"}}}},
		{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{{Keywords: []string{"收购", "acquire"}}}},
		{ID: "misc", Title: "大杂烩"},
	}
	rs, err := curator.Compile(sections, curator.Options{Fallback: "misc", Threshold: 2, ReviewMargin: 1, Sources: []curator.SourceOptions{
		{Name: "36氪", Bias: map[string]float64{"industry": 2}},
		{Name: "huge", Bias: map[string]float64{"industry": 10}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		title, source, want string
		bias                float64 // industry's bias term
		review              bool
	}{
		{"程序员35岁危机", "36氪", "misc", 1, false},          // the prior alone: below the threshold, no close call
		{"程序员35岁危机", "huge", "misc", 1, false},         // capped at half the threshold
		{"某公司收购一家创业公司", "36氪", "industry", 2, false},   // a rule fired: the whole bias
		{"Kubernetes 收购", "36氪", "industry", 2, false}, // paas 2, industry 2+2
		{"Kubernetes 收购", "", "paas", 0, true},         // no source: a tie
	} {
		it := feeds.Item{Title: tc.title, Stored: feeds.Stored{SourceName: tc.source}}
		d := rs.Classify(&it)
		ex := rs.Explain(&it)
		var bias float64
		for _, s := range ex.Scores {
			if s.Section == "industry" {
				bias = s.Bias
				if sum := s.Rules + s.Bias + s.SourceDefault + s.Learned; sum != s.Score {
					t.Errorf("%q from %q: industry's terms add up to %v, its score is %v", tc.title, tc.source, sum, s.Score)
				}
			}
		}
		if d.Section != tc.want || d.Review != tc.review || bias != tc.bias || ex.Section != d.Section || ex.Review != d.Review {
			t.Errorf("%q from %q: %s (review %v, industry bias %v), want %s (review %v, bias %v); explained %s (review %v)",
				tc.title, tc.source, d.Section, d.Review, bias, tc.want, tc.review, tc.bias, ex.Section, ex.Review)
		}
	}
}
