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
		{"multi word split", []string{"service mesh"}, "service meshwork compared", false},
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
		Link:       "https://blog.example.com/post/1", Stored: feeds.Stored{SourceName: "Example Blog",
			SourceTags: []string{"paas"}},
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
	e := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Exclude: []curator.RuleSpec{{Keywords: []string{"广告"}}}})
	if e.Version() == a.Version() {
		t.Error("exclude rules, same version")
	}
	nested := append([]curator.SectionSpec(nil), digestSections...)
	nested[2] = curator.SectionSpec{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{{Keywords: []string{"收购"}, None: []curator.RuleSpec{{Keywords: []string{"传闻"}}}}}}
	g := mustCompile(t, nested, curator.Options{Fallback: "misc"})
	nested[2].Rules[0].None[0].Keywords[0] = "谣言"
	if h := mustCompile(t, nested, curator.Options{Fallback: "misc"}); h.Version() == g.Version() {
		t.Error("changed nested condition, same version")
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
// whole words for Latin unless starred, substrings for Chinese, traditional
// matching simplified), regexes, fields, weights, all/any/none conditions,
// exclude rules and per-source settings. In YAML the paas section reads:
//
//	rules:
//	  - name: kubernetes in production
//	    weight: 2
//	    all:
//	      - keywords: [kubernetes, k8s]
//	      - keywords: [生产, production]
//	    none:
//	      - keywords: [招聘, hiring]
func ExampleRuleset_Classify() {
	rs, err := curator.Compile([]curator.SectionSpec{
		{ID: "containers", Title: "云计算及容器技术", Rules: []curator.RuleSpec{
			{Name: "engines", Keywords: []string{"docker", "容器", "container*"}, Weight: 2},
			{Name: "versions", Regex: []string{`\bcontainerd v?\d`}},
		}},
		{ID: "paas", Title: "PaaS技术落地实践", Rules: []curator.RuleSpec{
			{Name: "kubernetes in production", Weight: 2,
				All: []curator.RuleSpec{
					{Keywords: []string{"kubernetes", "k8s"}},
					{Keywords: []string{"生产", "production"}},
				},
				None: []curator.RuleSpec{{Keywords: []string{"招聘", "hiring"}}},
			},
		}},
		{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{
			{Keywords: []string{"收购", "acquires"}, Weight: 2, Fields: []string{"title"}},
		}},
		{ID: "misc", Title: "大杂烩"},
	}, curator.Options{
		Fallback:  "misc",
		Threshold: 1,
		Exclude:   []curator.RuleSpec{{Name: "ads", Keywords: []string{"广告", "sponsored"}, Fields: []string{"title"}}},
		Sources:   []curator.SourceOptions{{Name: "Kubernetes Blog", Section: "paas"}},
	})
	if err != nil {
		panic(err)
	}
	for _, it := range []feeds.Item{
		{Title: "深入理解 Docker 容器網絡"},
		{Title: "Running Kubernetes in production"},
		{Title: "Kubernetes hiring in production"},
		{Title: "Oracle acquires a database startup"},
		{Title: "containerd 2.0 is out"},
		{Title: "Spotlight on SIG Docs", Stored: feeds.Stored{SourceName: "Kubernetes Blog"}},
		{Title: "Sponsored: containerized apps"},
		{Title: "A new JavaScript framework"},
	} {
		d := rs.Classify(&it)
		fmt.Printf("%s %.0f excluded=%v: %s\n", d.Section, d.Score, d.Excluded, it.Title)
	}
	// Output:
	// containers 8 excluded=false: 深入理解 Docker 容器網絡
	// paas 8 excluded=false: Running Kubernetes in production
	// misc 0 excluded=false: Kubernetes hiring in production
	// industry 4 excluded=false: Oracle acquires a database startup
	// containers 6 excluded=false: containerd 2.0 is out
	// paas 0 excluded=false: Spotlight on SIG Docs
	// containers 4 excluded=true: Sponsored: containerized apps
	// misc 0 excluded=false: A new JavaScript framework
}

// FuzzCompile builds rules of fuzzed terms, fields and shapes (nested all,
// any and none): compiling never panics and either fails with RuleErrors
// only or yields a ruleset that classifies deterministically.
func FuzzCompile(f *testing.F) {
	f.Add("docker", `\bk8s\b`, "title", "容器", uint8(0), 1.0)
	f.Add("容器", "(", "summary", "招聘", uint8(7), 2.0)
	f.Add("", "", "", "", uint8(255), -1.0)
	f.Add("container*", "[a-", "host", "*", uint8(0x5a), 0.0)
	f.Add("acquire ~3 startup", "", "title", "收购 ~2 公司", uint8(1), 1.0)
	f.Add("~3 a", "", "", "a ~99 b", uint8(2), 1.0)
	f.Add("=arm", "", "", "lay off", uint8(3), 1.0)
	f.Fuzz(func(t *testing.T, kw, re, field, other string, shape uint8, weight float64) {
		leaf := curator.RuleSpec{Keywords: []string{kw}, Fields: []string{field}}
		if re != "" {
			leaf.Regex = []string{re}
		}
		r := leaf
		for i := 0; i < 4; i++ { // two bits of shape per level
			o := curator.RuleSpec{Keywords: []string{other}}
			switch (shape >> (2 * i)) & 3 {
			case 1:
				r = curator.RuleSpec{All: []curator.RuleSpec{r, o}}
			case 2:
				r = curator.RuleSpec{Any: []curator.RuleSpec{o, r}}
			case 3:
				r = curator.RuleSpec{Keywords: []string{other}, None: []curator.RuleSpec{r}}
			}
		}
		r.Weight = weight
		rs, err := curator.Compile([]curator.SectionSpec{{ID: "a", Rules: []curator.RuleSpec{r}}, {ID: "b"}},
			curator.Options{Exclude: []curator.RuleSpec{leaf}, Sources: []curator.SourceOptions{{Name: other, Section: "a", Bias: map[string]float64{"a": weight}}}})
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var re *curator.RuleError
				if !errors.As(e, &re) || re.Path == "" {
					t.Fatalf("error is not a RuleError with a path: %v", e)
				}
			}
			return
		}
		it := feeds.Item{Title: kw + " " + other, Summary: re, Stored: feeds.Stored{SourceName: other}}
		d1, d2 := rs.Classify(&it), rs.Classify(&it)
		if d1 != d2 {
			t.Fatalf("not deterministic: %+v %+v", d1, d2)
		}
		if ex := rs.Explain(&it); ex.Section != d1.Section || ex.Excluded != d1.Excluded {
			t.Fatalf("classify %+v and explain %+v disagree", d1, ex)
		}
	})
}

// FuzzClassify runs fuzzed items through a ruleset that uses every feature:
// no panic, Classify and Explain agree, and the explanation adds up.
func FuzzClassify(f *testing.F) {
	secs := append([]curator.SectionSpec(nil), digestSections...)
	secs[1].Rules = append(secs[1].Rules[:2:2], curator.RuleSpec{Weight: 1.5,
		All:  []curator.RuleSpec{{Keywords: []string{"kubernetes", "k8s"}}, {Keywords: []string{"生产", "production"}, Regex: []string{`\d+ ?节点`}}},
		None: []curator.RuleSpec{{Keywords: []string{"招聘"}, Fields: []string{"title"}}},
	})
	secs[2].Rules = append(secs[2].Rules[:len(secs[2].Rules):len(secs[2].Rules)], curator.RuleSpec{Weight: 2, Final: true,
		Keywords: []string{"acquire ~3 startup", "收购 ~4 公司", "=outage", "lay off"},
		Any:      []curator.RuleSpec{{Keywords: []string{"company ~2 layoff*"}}, {Keywords: []string{"acquire"}}},
	})
	rs := mustCompile(f, secs, curator.Options{Fallback: "misc", Threshold: 2,
		Exclude: []curator.RuleSpec{{Keywords: []string{"广告", "sponsored"}, Any: []curator.RuleSpec{{Regex: []string{`^`}}}}},
		Sources: []curator.SourceOptions{{Name: "k", Section: "paas", Bias: map[string]float64{"industry": 1.5, "containers": -0.5}}},
	})
	f.Add("浅谈Docker安全", "<p>容器 &amp; 镜像</p>", "https://a.example/x", "")
	f.Add("ＤＯＣＫＥＲ", "<unclosed", "::", "k")
	f.Add("\xff\xfe", "&#", "", "k")
	f.Add("K8S 生產環境 招聘", "5000 节点 sponsored", "http://u@h:1/", "k")
	f.Add("Cisco acquires a small startup", "the company lays off staff", "", "")
	f.Add("微软收购一家初创公司", "acquisition ~3", "", "")
	f.Fuzz(func(t *testing.T, title, summary, link, source string) {
		it := feeds.Item{Title: title, Summary: summary, Content: summary, Link: link, Categories: []string{title}, Stored: feeds.Stored{SourceName: source}}
		d := rs.Classify(&it)
		ex := rs.Explain(&it)
		if d.Section != ex.Section || d.Score != ex.Score || d.Excluded != ex.Excluded {
			t.Fatalf("classify %+v and explain %+v disagree", d, ex)
		}
		if d.Section == "" {
			t.Fatal("no section")
		}
		if ex.Excluded != (len(ex.Exclusions) > 0) {
			t.Fatalf("excluded %v with exclusions %+v", ex.Excluded, ex.Exclusions)
		}
		for _, s := range ex.Scores {
			var sum float64
			for _, f := range ex.Fired {
				if f.Section == s.Section {
					sum += f.Score
					if len(f.Matches) == 0 {
						t.Fatalf("rule %s fired without matches", f.Path)
					}
				}
			}
			if sum+s.Bias+s.SourceDefault != s.Score && !(sum == 0 && s.Score == s.SourceDefault) {
				t.Fatalf("%s: fired rules sum %v + bias %v + source default %v, score %v", s.Section, sum, s.Bias, s.SourceDefault, s.Score)
			}
			if s.Section == d.Section && s.Score != d.Score {
				t.Fatalf("decision score %v, section score %v", d.Score, s.Score)
			}
		}
	})
}
