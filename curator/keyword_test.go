package curator_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

func TestWordForms(t *testing.T) {
	cases := []struct {
		keyword, title string
		want           bool
	}{
		{"outage", "Slack outages: what happened", true},
		{"outage", "An outage in us-east-1", true},
		{"acquire", "SUSE to Acquire Rancher Labs", true},
		{"acquire", "IBM acquires Red Hat", true},
		{"acquire", "Rancher acquired by SUSE", true},
		{"acquire", "Acquiring a company", true},
		{"acquire", "The acquisition closes", true},
		{"acquire", "Two acquisitions this week", true},
		{"acquisition", "Cisco acquires Isovalent", true},
		{"launch", "AWS launches a new region", true},
		{"launch", "Docker launched Desktop", true},
		{"launch", "Launching soon", true},
		{"layoff", "Twitter lays off half its staff", true},
		{"layoff", "Engineers laid off", true},
		{"layoffs", "Layoffs at Google", true},
		{"lay off", "Layoffs at Google", true},
		{"lay off", "a lay-off wave", true},
		{"apply", "Kubernetes applies the patch", true},
		{"apply", "Patches applied", true},
		{"ship", "Docker shipped a fix", true},
		{"patch", "Patches for runc", true},
		{"disruption", "Service disruptions in Europe", true},
		{"disruption", "Disrupting the market", false},
		{"merger", "Merging pull requests", false},
		{"layoffs", "Engineers laid off", true},
		{"service mesh", "Service meshes compared", true},
		{"raise", "Startup raises $10M", true},
		{"raise", "Startup raised $10M", true},
		// Precise: forms, not prefixes or look-alikes.
		{"general", "Generic types in Go", false},
		{"general", "Generals and generalization", true},
		{"mesh", "A meshwork of services", false},
		{"launch", "Launchpad goes away", false},
		{"outage", "outaged", true},
		{"port", "A portable runtime", false},
		// Short words are not inflected: "us" is not "uses".
		{"us", "Who uses Kubernetes", false},
		{"go", "Google goes further", false},
		{"ai", "AIs everywhere", false},
		// "=" turns word forms off; "*" lifts a boundary instead.
		{"=arm", "Arms race", false},
		{"=arm", "ARM servers", true},
		{"container*", "containerized", true},
		// Chinese keywords are unchanged.
		{"收购", "微软收购GitHub", true},
	}
	for _, tc := range cases {
		t.Run(tc.keyword+"/"+tc.title, func(t *testing.T) {
			rs := oneRule(t, curator.RuleSpec{Keywords: []string{tc.keyword}})
			if got := rs.Classify(&feeds.Item{Title: tc.title}).Section == "hit"; got != tc.want {
				t.Errorf("keyword %q on %q: got %v, want %v", tc.keyword, tc.title, got, tc.want)
			}
		})
	}
}

func TestNear(t *testing.T) {
	cases := []struct {
		keyword, title, summary string
		want                    bool
	}{
		{"acquire ~3 startup", "Cisco acquires security startup", "", true},
		{"acquire ~3 startup", "Cisco acquired a small security startup", "", true},
		{"acquire ~3 startup", "Acquisition of a startup", "", true},
		{"acquire ~3 startup", "Cisco acquires startups", "", true},
		{"acquire ~3 startup", "Cisco acquires a very small security startup", "", false}, // four words between
		{"acquire ~3 startup", "Startup acquires Cisco", "", false},                       // order counts
		{"acquire ~0 startup", "Acquire, startup!", "", true},                             // punctuation is no word
		{"acquire ~0 startup", "acquire the startup", "", false},
		{"acquire ~3 startup", "Cisco acquires", "a startup", false}, // not across fields
		{"acquire ~3 startup", "", "Cisco acquires a startup", true},
		{"acquire ~3 startup", "acquirex startup", "", false}, // word boundaries
		{"raise ~4 series a", "Acme raises a $10M Series A", "", true},
		{"raise ~4 series a", "Acme raises a $10M Series Ab", "", false},
		{"收购 ~4 公司", "微软收购一家初创公司", "", true},
		{"收购 ~2 公司", "微软收购一家初创公司", "", false}, // one Chinese character is one word
		{"docker ~3 收购", "Docker公司被收购", "", true},
		{"docker ~2 收购", "Docker公司被收购", "", false},
		{"company ~2 lay off ~3 staff", "The company lays off 10% of staff", "", true},
		{"company ~2 lay off ~3 staff", "The company lays off 10% of its remaining staff", "", false},
		{"cncf ~4 graduat*", "CNCF: Kubernetes graduates", "", true},
		{"cncf ~4 graduat*", "CNCF graduation", "", true},
		{"=acquire ~3 startup", "Cisco acquires a startup", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.keyword+"/"+tc.title, func(t *testing.T) {
			rs := oneRule(t, curator.RuleSpec{Keywords: []string{tc.keyword}})
			if got := rs.Classify(&feeds.Item{Title: tc.title, Summary: tc.summary}).Section == "hit"; got != tc.want {
				t.Errorf("keyword %q on %q / %q: got %v, want %v", tc.keyword, tc.title, tc.summary, got, tc.want)
			}
		})
	}
}

// TestNearScoresAndExplains checks that a ~N keyword counts like any other
// keyword (twice in the title) and that the explanation shows the text it
// matched.
func TestNearScoresAndExplains(t *testing.T) {
	rs := mustCompile(t, []curator.SectionSpec{
		{ID: "industry", Rules: []curator.RuleSpec{{Weight: 3, Keywords: []string{"acquire ~3 startup", "收购"}}}},
		{ID: "misc"},
	}, curator.Options{})
	ex := rs.Explain(&feeds.Item{Title: "Cisco acquires a security startup", Summary: "收购"})
	if ex.Section != "industry" || ex.Score != 9 {
		t.Fatalf("got %s with %v, want industry with 9 (3×2 for the title, 3×1 for 收购): %+v", ex.Section, ex.Score, ex)
	}
	var texts []string
	for _, m := range ex.Fired[0].Matches {
		texts = append(texts, m.Field+":"+m.Term+"="+m.Text)
	}
	got := strings.Join(texts, ", ")
	if want := "title:acquire ~3 startup=acquires a security startup, summary:收购=收购"; got != want {
		t.Errorf("matches %s, want %s", got, want)
	}
	// The first part alone queues the rule but does not fire it.
	if ex := rs.Explain(&feeds.Item{Title: "Cisco acquires nothing"}); ex.Section != "misc" || len(ex.Fired) != 0 {
		t.Errorf("the first part alone fired: %+v", ex)
	}
}

func TestNearErrors(t *testing.T) {
	for _, k := range []string{"~3 startup", "acquire ~3", "acquire ~3 ~2 startup", "acquire ~21 startup", "acquire ~3 *"} {
		_, err := curator.Compile([]curator.SectionSpec{{ID: "a", Rules: []curator.RuleSpec{{Keywords: []string{"x", k}}}}}, curator.Options{})
		var re *curator.RuleError
		if !errors.Is(err, curator.ErrBadNear) || !errors.As(err, &re) || re.Path != "sections[0].rules[0].keywords[1]" {
			t.Errorf("keyword %q: got %v, want ErrBadNear at sections[0].rules[0].keywords[1]", k, err)
		}
	}
	// A ~ that is not followed by a number is an ordinary keyword.
	rs := oneRule(t, curator.RuleSpec{Keywords: []string{"~x"}})
	if rs.Classify(&feeds.Item{Title: "a ~x b"}).Section != "hit" {
		t.Error(`"~x" does not match itself`)
	}
}

func TestFinalOnlyOnTopLevelRules(t *testing.T) {
	_, err := curator.Compile([]curator.SectionSpec{{ID: "a", Rules: []curator.RuleSpec{
		{Final: true, Keywords: []string{"x"}},
		{Keywords: []string{"y"}, All: []curator.RuleSpec{{Final: true, Keywords: []string{"z"}}}},
	}}}, curator.Options{Exclude: []curator.RuleSpec{{Final: true, Keywords: []string{"w"}}}})
	var paths []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var re *curator.RuleError
		if errors.As(e, &re) && errors.Is(e, curator.ErrFinalNotAllowed) {
			paths = append(paths, re.Path)
		}
	}
	if got, want := strings.Join(paths, " "), "sections[0].rules[1].all[0].final curator.exclude[0].final"; got != want {
		t.Errorf("final errors at %q, want %q (all: %v)", got, want, err)
	}
}

func TestFinalChangesVersion(t *testing.T) {
	secs := func(final bool) []curator.SectionSpec {
		return []curator.SectionSpec{{ID: "a", Rules: []curator.RuleSpec{{Final: final, Keywords: []string{"x"}}}}, {ID: "b"}}
	}
	if mustCompile(t, secs(false), curator.Options{}).Version() == mustCompile(t, secs(true), curator.Options{}).Version() {
		t.Error("final does not change the version")
	}
}

// TestFormsCountOnce checks that keywords that are forms of one another
// count as one term, as separate keywords for each form did before word
// forms: "acquisition" scores the same with or without "acquire" beside it.
func TestFormsCountOnce(t *testing.T) {
	score := func(kw ...string) float64 {
		rs := oneRule(t, curator.RuleSpec{Keywords: kw})
		return rs.Classify(&feeds.Item{Title: "The acquisition of Rancher"}).Score
	}
	if a, b := score("acquisition"), score("acquire", "acquires", "acquisition"); a != 2 || b != 2 {
		t.Errorf("acquisition alone scores %v, among its forms %v; want 2 and 2", a, b)
	}
	// In different conditions they are different terms.
	rs := oneRule(t, curator.RuleSpec{Keywords: []string{"acquire"}, All: []curator.RuleSpec{{Keywords: []string{"acquisition"}}}})
	if got := rs.Classify(&feeds.Item{Title: "The acquisition of Rancher"}).Score; got != 4 {
		t.Errorf("two conditions score %v, want 4", got)
	}
}
