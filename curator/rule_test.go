package curator_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

func mustCompile(t testing.TB, secs []curator.SectionSpec, opts curator.Options) *curator.Ruleset {
	t.Helper()
	rs, err := curator.Compile(secs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// oneRule is a ruleset with a section "hit" holding r, and a fallback "miss".
func oneRule(t testing.TB, r curator.RuleSpec) *curator.Ruleset {
	return mustCompile(t, []curator.SectionSpec{
		{ID: "hit", Title: "Hit", Rules: []curator.RuleSpec{r}},
		{ID: "miss", Title: "Miss"},
	}, curator.Options{})
}

func TestKeywordMatching(t *testing.T) {
	cases := []struct {
		name     string
		keywords []string
		title    string
		want     bool
	}{
		{"english word", []string{"docker"}, "Docker 1.12 released", true},
		{"case insensitive", []string{"Kubernetes"}, "running KUBERNETES at scale", true},
		{"word boundary start", []string{"go"}, "google announces", false},
		{"word boundary end", []string{"go"}, "golang tips", false},
		{"word inside punctuation", []string{"go"}, "why (go) wins", true},
		{"multi word", []string{"service mesh"}, "A Service Mesh primer", true},
		{"multi word split", []string{"service mesh"}, "service meshes compared", false},
		{"chinese substring", []string{"容器"}, "浅谈Docker容器安全", true},
		{"chinese absent", []string{"容器"}, "数据库优化实践", false},
		{"latin next to han", []string{"docker"}, "浅谈docker安全", true},
		{"han next to latin", []string{"编排"}, "swarm编排能力", true},
		{"full-width latin", []string{"docker"}, "ＤＯＣＫＥＲ 入门", true},
		{"full-width keyword", []string{"ｋ８ｓ"}, "k8s 集群", true},
		{"digits boundary", []string{"k8s"}, "k8sx tool", false},
		{"symbol keyword", []string{"ci/cd"}, "Our CI/CD pipeline", true},
		{"hyphen", []string{"cri-o"}, "CRI-O 1.0 is out", true},
		{"overlapping", []string{"docker", "docker swarm"}, "docker swarm mode", true},
		{"empty text", []string{"docker"}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := oneRule(t, curator.RuleSpec{Keywords: tc.keywords})
			got := rs.Classify(&feeds.Item{Title: tc.title}).Section == "hit"
			if got != tc.want {
				t.Errorf("%q in %q: got %v, want %v", tc.keywords, tc.title, got, tc.want)
			}
		})
	}
}

func TestRegexMatching(t *testing.T) {
	cases := []struct {
		re, title string
		want      bool
	}{
		{`\bk8s\b`, "Running K8S", true},
		{`v\d+\.\d+`, "Docker v1.12", true},
		{`^kubernetes`, "intro to kubernetes", false},
		{`容器.*安全`, "容器镜像的安全扫描", true},
	}
	for _, tc := range cases {
		rs := oneRule(t, curator.RuleSpec{Regex: []string{tc.re}})
		if got := rs.Classify(&feeds.Item{Title: tc.title}).Section == "hit"; got != tc.want {
			t.Errorf("regex %q on %q: got %v want %v", tc.re, tc.title, got, tc.want)
		}
	}
}

func TestFields(t *testing.T) {
	it := feeds.Item{
		Title:      "Weekly notes",
		Summary:    "<p>About <b>Mesos</b> &amp; friends</p>",
		Content:    `<a href="https://docker.com">link</a>`,
		Categories: []string{"Cloud Native"},
		Author:     "Ann Lee",
		Link:       "https://blog.example.com/post/1",
		SourceName: "Example Blog",
		SourceTags: []string{"paas"},
	}
	cases := []struct {
		field, kw string
		want      bool
	}{
		{"summary", "mesos", true},
		{"summary", "friends", true},
		{"summary", "amp", false},    // entity decoded
		{"content", "docker", false}, // attribute text is not matched
		{"categories", "cloud native", true},
		{"author", "ann lee", true},
		{"host", "blog.example.com", true},
		{"source", "example blog", true},
		{"tags", "paas", true},
		{"title", "mesos", false},
	}
	for _, tc := range cases {
		rs := oneRule(t, curator.RuleSpec{Keywords: []string{tc.kw}, Fields: []string{tc.field}})
		if got := rs.Classify(&it).Section == "hit"; got != tc.want {
			t.Errorf("%s %q: got %v want %v", tc.field, tc.kw, got, tc.want)
		}
	}
}

var digestSections = []curator.SectionSpec{
	{ID: "containers", Title: "云计算及容器技术", Rules: []curator.RuleSpec{
		{Keywords: []string{"docker", "容器", "container"}, Weight: 2},
	}},
	{ID: "paas", Title: "PaaS技术落地实践", Rules: []curator.RuleSpec{
		{Keywords: []string{"kubernetes", "mesos", "编排"}, Weight: 2},
		{Keywords: []string{"实践", "落地"}},
	}},
	{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{
		{Keywords: []string{"收购", "acquires", "融资", "funding"}, Weight: 2},
	}},
	{ID: "misc", Title: "大杂烩"},
}

func TestClassifyBestSectionWins(t *testing.T) {
	rs := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 1})
	cases := []struct {
		title, summary, want string
	}{
		{"浅谈Docker安全", "容器安全与镜像安全", "containers"},
		{"Kubernetes 在生产环境的落地实践", "", "paas"},
		{"Microsoft acquires Deis", "container platform startup", "industry"}, // title counts double
		{"Mesos 公司完成新一轮融资", "", "paas"},                                       // tie 4:4 goes to the earlier section
		{"Rust 1.0 发布", "systems programming", "misc"},
		{"", "", "misc"},
	}
	for _, tc := range cases {
		d := rs.Classify(&feeds.Item{Title: tc.title, Summary: tc.summary})
		if d.Section != tc.want {
			t.Errorf("%q: got %s (%.1f), want %s\n%s", tc.title, d.Section, d.Score, tc.want, explainJSON(rs, tc.title, tc.summary))
		}
	}
}

func TestThresholdFallsBack(t *testing.T) {
	rs := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 3})
	// One summary hit of a weight-2 keyword scores 2 < 3.
	if d := rs.Classify(&feeds.Item{Summary: "docker"}); d.Section != "misc" || d.Score != 0 {
		t.Errorf("got %+v, want misc", d)
	}
	ex := rs.Explain(&feeds.Item{Summary: "docker"})
	if !ex.Fallback || ex.Scores[0].Score != 2 {
		t.Errorf("explanation %+v", ex)
	}
}

func TestFallbackDefaultsToLastSection(t *testing.T) {
	rs := mustCompile(t, digestSections, curator.Options{})
	if d := rs.Classify(&feeds.Item{Title: "nothing relevant"}); d.Section != "misc" {
		t.Errorf("got %s", d.Section)
	}
}

func TestExplain(t *testing.T) {
	rs := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 1})
	ex := rs.Explain(&feeds.Item{Title: "Docker 容器编排实践", Summary: "Docker swarm"})
	if ex.Section != "containers" || ex.Fallback {
		t.Fatalf("decision %+v", ex)
	}
	// containers: docker (title, x2) 4 + 容器 (title) 4 = 8; paas: 编排 4 + 实践 2 = 6.
	want := map[string]float64{"containers": 8, "paas": 6, "industry": 0, "misc": 0}
	for _, s := range ex.Scores {
		if s.Score != want[s.Section] {
			t.Errorf("score of %s = %v, want %v", s.Section, s.Score, want[s.Section])
		}
	}
	if len(ex.Fired) != 3 {
		t.Fatalf("fired %d rules, want 3: %+v", len(ex.Fired), ex.Fired)
	}
	m := ex.Fired[0].Matches
	if len(m) != 3 || m[0].Term != "docker" || m[0].Field != "title" || m[0].Text != "docker" || m[1].Field != "summary" {
		t.Errorf("matches %+v", m)
	}
	if ex.Version != rs.Version() || ex.Version == "" {
		t.Errorf("version %q", ex.Version)
	}
}

func TestVersionChangesWithRules(t *testing.T) {
	a := mustCompile(t, digestSections, curator.Options{Fallback: "misc"})
	b := mustCompile(t, digestSections, curator.Options{Fallback: "misc"})
	if a.Version() != b.Version() {
		t.Error("same rules, different versions")
	}
	changed := append([]curator.SectionSpec(nil), digestSections...)
	changed[3] = curator.SectionSpec{ID: "misc", Title: "大杂烩", Rules: []curator.RuleSpec{{Keywords: []string{"rust"}}}}
	c := mustCompile(t, changed, curator.Options{Fallback: "misc"})
	if c.Version() == a.Version() {
		t.Error("changed rules, same version")
	}
	d := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 2})
	if d.Version() == a.Version() {
		t.Error("changed threshold, same version")
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := curator.Compile([]curator.SectionSpec{
		{ID: "a", Rules: []curator.RuleSpec{{Regex: []string{"("}}, {}, {Keywords: []string{" "}}, {Keywords: []string{"x"}, Fields: []string{"body"}}, {Keywords: []string{"x"}, Weight: -1}}},
		{ID: "a"},
		{ID: ""},
	}, curator.Options{Fallback: "zzz"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []error{curator.ErrBadRegex, curator.ErrEmptyRule, curator.ErrEmptyKeyword, curator.ErrUnknownField, curator.ErrBadWeight, curator.ErrDuplicateID, curator.ErrEmptyID, curator.ErrUnknownTarget} {
		if !errors.Is(err, want) {
			t.Errorf("missing %v in %v", want, err)
		}
	}
	for _, path := range []string{"sections[0].rules[0].regex[0]", "sections[0].rules[1]", "sections[0].rules[2].keywords[0]", "sections[0].rules[3].fields[0]", "sections[0].rules[4].weight", "sections[1].id", "sections[2].id", "curator.fallback"} {
		if !strings.Contains(err.Error(), path+": ") {
			t.Errorf("error does not name %s:\n%v", path, err)
		}
	}
}

func explainJSON(rs *curator.Ruleset, title, summary string) string {
	b, _ := json.MarshalIndent(rs.Explain(&feeds.Item{Title: title, Summary: summary}), "", "  ")
	return string(b)
}

// ExampleRuleset_Classify shows the rule syntax: keywords (case-insensitive,
// whole words for Latin, substrings for Chinese), regexes, fields and weights.
func ExampleRuleset_Classify() {
	rs, err := curator.Compile([]curator.SectionSpec{
		{ID: "containers", Title: "云计算及容器技术", Rules: []curator.RuleSpec{
			{Name: "engines", Keywords: []string{"docker", "容器"}, Weight: 2},
			{Name: "versions", Regex: []string{`\bcontainerd v?\d`}},
		}},
		{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{
			{Keywords: []string{"收购", "acquires"}, Weight: 2, Fields: []string{"title"}},
		}},
		{ID: "misc", Title: "大杂烩"},
	}, curator.Options{Fallback: "misc", Threshold: 1})
	if err != nil {
		panic(err)
	}
	for _, title := range []string{"深入理解 Docker 容器网络", "Oracle acquires a database startup", "containerd 2.0 is out", "A new JavaScript framework"} {
		d := rs.Classify(&feeds.Item{Title: title})
		fmt.Printf("%s %.0f: %s\n", d.Section, d.Score, title)
	}
	// Output:
	// containers 8: 深入理解 Docker 容器网络
	// industry 4: Oracle acquires a database startup
	// containers 2: containerd 2.0 is out
	// misc 0: A new JavaScript framework
}

func FuzzCompile(f *testing.F) {
	f.Add("docker", `\bk8s\b`, "title")
	f.Add("容器", "(", "summary")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, kw, re, field string) {
		r := curator.RuleSpec{Keywords: []string{kw}, Fields: []string{field}}
		if re != "" {
			r.Regex = []string{re}
		}
		rs, err := curator.Compile([]curator.SectionSpec{{ID: "a", Rules: []curator.RuleSpec{r}}, {ID: "b"}}, curator.Options{})
		if err != nil {
			var re *curator.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error is not a RuleError: %v", err)
			}
			return
		}
		it := feeds.Item{Title: kw, Summary: re}
		d1, d2 := rs.Classify(&it), rs.Classify(&it)
		if d1 != d2 {
			t.Fatalf("not deterministic: %+v %+v", d1, d2)
		}
	})
}

func FuzzClassify(f *testing.F) {
	rs := mustCompile(f, digestSections, curator.Options{Fallback: "misc", Threshold: 1})
	f.Add("浅谈Docker安全", "<p>容器 &amp; 镜像</p>", "https://a.example/x")
	f.Add("ＤＯＣＫＥＲ", "<unclosed", "::")
	f.Add("\xff\xfe", "&#", "")
	f.Fuzz(func(t *testing.T, title, summary, link string) {
		it := feeds.Item{Title: title, Summary: summary, Content: summary, Link: link, Categories: []string{title}}
		d := rs.Classify(&it)
		ex := rs.Explain(&it)
		if d.Section != ex.Section || d.Score != ex.Score {
			t.Fatalf("classify %+v and explain %+v disagree", d, ex)
		}
		if d.Section == "" {
			t.Fatal("no section")
		}
		var sum float64
		for _, f := range ex.Fired {
			if f.Section == d.Section {
				sum += f.Score
			}
		}
		if !ex.Fallback && sum != d.Score {
			t.Fatalf("fired rules sum %v, score %v", sum, d.Score)
		}
	})
}
