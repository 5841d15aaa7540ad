package curator_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

type opCase struct {
	name           string
	title, summary string
	want           bool
}

// runOps checks, for each case, whether rule r fires on the item.
func runOps(t *testing.T, r curator.RuleSpec, cases []opCase) {
	t.Helper()
	rs := oneRule(t, r)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := feeds.Item{Title: tc.title, Summary: tc.summary}
			if got := rs.Classify(&it).Section == "hit"; got != tc.want {
				t.Errorf("%q / %q: fired %v, want %v\n%s", tc.title, tc.summary, got, tc.want, explainJSON(rs, tc.title, tc.summary))
			}
		})
	}
}

func TestOperatorAll(t *testing.T) {
	runOps(t, curator.RuleSpec{All: []curator.RuleSpec{
		{Keywords: []string{"kubernetes", "k8s"}},
		{Keywords: []string{"生产", "production"}},
	}}, []opCase{
		{"both english", "Kubernetes in production", "", true},
		{"both chinese and mixed", "K8S 生产环境实践", "", true},
		{"across fields", "Kubernetes 1.30", "running it in production", true},
		{"first only", "Kubernetes 1.30 released", "", false},
		{"second only", "生产环境的数据库", "", false},
		{"neither", "Rust 1.0", "", false},
	})
}

func TestOperatorAny(t *testing.T) {
	runOps(t, curator.RuleSpec{Keywords: []string{"docker"}, Any: []curator.RuleSpec{
		{Keywords: []string{"安全", "security"}},
		{Regex: []string{`cve-\d{4}-\d+`}},
	}}, []opCase{
		{"own and first", "Docker 安全", "", true},
		{"own and second", "Docker fixes CVE-2019-5736", "", true},
		{"own and both", "Docker security: CVE-2019-5736", "", true},
		{"own only", "Docker 1.12", "", false},
		{"any only", "Linux 安全", "", false},
	})
}

func TestOperatorNone(t *testing.T) {
	runOps(t, curator.RuleSpec{Keywords: []string{"kubernetes"}, None: []curator.RuleSpec{
		{Keywords: []string{"招聘", "hiring"}},
		{Keywords: []string{"webinar"}, Fields: []string{"title"}},
	}}, []opCase{
		{"plain", "Kubernetes operators", "", true},
		{"vetoed in title", "招聘 Kubernetes 工程师", "", false},
		{"vetoed in summary", "Kubernetes team", "we are hiring", false},
		{"vetoed only in title", "Kubernetes webinar", "", false},
		{"field of none condition", "Kubernetes notes", "from our webinar", true},
	})
}

func TestOperatorsNested(t *testing.T) {
	// (docker OR 容器) AND (安全 OR (image AND scan)) AND NOT (招聘 OR (sponsored in title))
	runOps(t, curator.RuleSpec{
		All: []curator.RuleSpec{
			{Keywords: []string{"docker", "容器"}},
			{Any: []curator.RuleSpec{
				{Keywords: []string{"安全"}},
				{All: []curator.RuleSpec{{Keywords: []string{"image*"}}, {Keywords: []string{"scan*"}}}},
			}},
		},
		None: []curator.RuleSpec{{Any: []curator.RuleSpec{
			{Keywords: []string{"招聘"}},
			{Keywords: []string{"sponsored"}, Fields: []string{"title"}},
		}}},
	}, []opCase{
		{"chinese", "容器安全", "", true},
		{"nested all", "Docker images", "how we scanned them", true},
		{"nested all half", "Docker images", "", false},
		{"vetoed", "容器安全 招聘", "", false},
		{"vetoed nested", "Sponsored: Docker 安全", "", false},
		{"sponsored outside title", "Docker 安全", "sponsored", true},
	})
}

func TestFieldsInherited(t *testing.T) {
	// Conditions match the fields of the rule they are in unless they name
	// their own.
	runOps(t, curator.RuleSpec{Fields: []string{"title"}, Keywords: []string{"docker"}, All: []curator.RuleSpec{
		{Keywords: []string{"安全"}},
		{Keywords: []string{"guide"}, Fields: []string{"summary"}},
	}}, []opCase{
		{"all in place", "Docker 安全", "a guide", true},
		{"inherited field missed", "Docker", "安全 guide", false},
		{"own field missed", "Docker 安全 guide", "", false},
	})
}

func TestMatchingLanguages(t *testing.T) {
	cases := []struct {
		name  string
		rule  curator.RuleSpec
		title string
		want  bool
	}{
		{"english word", curator.RuleSpec{Keywords: []string{"service mesh"}}, "What a Service Mesh is", true},
		{"english no partial word", curator.RuleSpec{Keywords: []string{"mesh"}}, "meshwork", false},
		{"english word form", curator.RuleSpec{Keywords: []string{"mesh"}}, "meshes", true},
		{"english prefix star", curator.RuleSpec{Keywords: []string{"container*"}}, "Containerized apps", true},
		{"english suffix star", curator.RuleSpec{Keywords: []string{"*netes"}}, "kubernetes", true},
		{"star keeps other boundary", curator.RuleSpec{Keywords: []string{"container*"}}, "microcontainers", false},
		{"chinese substring", curator.RuleSpec{Keywords: []string{"编排"}}, "容器编排系统", true},
		{"mixed keyword", curator.RuleSpec{Keywords: []string{"docker公司"}}, "Docker公司宣布", true},
		{"mixed text", curator.RuleSpec{Keywords: []string{"监控"}}, "Prometheus监控Kubernetes", true},
		{"traditional text", curator.RuleSpec{Keywords: []string{"开发"}}, "開發者大會", true},
		{"traditional keyword", curator.RuleSpec{Keywords: []string{"雲計算"}}, "云计算的未来", true},
		{"traditional both", curator.RuleSpec{Keywords: []string{"網絡"}}, "容器網絡", true},
		{"traditional phrase", curator.RuleSpec{Keywords: []string{"数据库"}}, "分散式數據庫", true},
		{"full-width", curator.RuleSpec{Keywords: []string{"k8s"}}, "Ｋ８Ｓ集群", true},
		{"regex on folded text", curator.RuleSpec{Regex: []string{`^kubernetes \d+\.\d+`}}, "Kubernetes 1.30 發佈", true},
		{"regex chinese", curator.RuleSpec{Regex: []string{`(收购|并购).{0,10}(公司|初创)`}}, "微軟收購一家初創公司", true},
		{"regex miss", curator.RuleSpec{Regex: []string{`\$\d+ ?(million|billion)`}}, "Raises money", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := oneRule(t, tc.rule)
			if got := rs.Classify(&feeds.Item{Title: tc.title}).Section == "hit"; got != tc.want {
				t.Errorf("%+v on %q: got %v, want %v", tc.rule, tc.title, got, tc.want)
			}
		})
	}
}

func TestScoreCountsTermsThatMatter(t *testing.T) {
	rs := mustCompile(t, []curator.SectionSpec{
		{ID: "paas", Rules: []curator.RuleSpec{{
			Weight:   2,
			Keywords: []string{"kubernetes"},
			Any:      []curator.RuleSpec{{Keywords: []string{"生产"}}, {Keywords: []string{"集群"}, None: []curator.RuleSpec{{Keywords: []string{"招聘"}}}}},
			None:     []curator.RuleSpec{{Keywords: []string{"webinar"}}},
		}}},
		{ID: "misc"},
	}, curator.Options{})
	cases := []struct {
		title, summary string
		want           float64
	}{
		{"Kubernetes 生产", "", 2 * (2 + 2)},            // both in the title
		{"Kubernetes", "生产 集群", 2 * (2 + 1 + 1)},      // any: each matching condition counts
		{"Kubernetes", "生产 集群 招聘", 2 * (2 + 1)},       // the vetoed condition counts nothing
		{"Kubernetes kubernetes", "kubernetes 生产", 6}, // a term counts once
		{"Kubernetes", "", 0},
	}
	for _, tc := range cases {
		d := rs.Classify(&feeds.Item{Title: tc.title, Summary: tc.summary})
		ex := rs.Explain(&feeds.Item{Title: tc.title, Summary: tc.summary})
		if ex.Scores[0].Score != tc.want || (tc.want > 0 && d.Score != tc.want) {
			t.Errorf("%q/%q: score %v (explain %v), want %v", tc.title, tc.summary, d.Score, ex.Scores[0].Score, tc.want)
		}
	}
}

func TestSourceOptions(t *testing.T) {
	opts := curator.Options{Fallback: "misc", Threshold: 3, Sources: []curator.SourceOptions{
		{Name: "Kubernetes Blog", Section: "paas"},
		{Name: "TechCrunch", Bias: map[string]float64{"industry": 2.5, "containers": -10}},
		{Name: "Plain"},
	}}
	rs := mustCompile(t, digestSections, opts)
	cases := []struct {
		name, source, title, summary string
		want                         string
		decision                     string
	}{
		{"default used below threshold", "Kubernetes Blog", "Spotlight on SIG Docs", "", "paas", curator.BySourceDefault},
		{"default not used above threshold", "Kubernetes Blog", "浅谈Docker安全", "", "containers", curator.ByScore},
		{"default prior decides a close call", "Kubernetes Blog", "Docker", "kubernetes 落地", "paas", curator.ByScore}, // 4 vs 3+1.5
		{"close call without the prior", "Other", "Docker", "kubernetes 落地", "containers", curator.ByScore},
		{"default prior alone is below the threshold", "Kubernetes Blog", "", "落地", "paas", curator.BySourceDefault}, // 1+1.5 < 3
		{"no default for other sources", "Plain", "Spotlight on SIG Docs", "", "misc", curator.ByFallback},
		{"bias tips a close call", "TechCrunch", "Mesos 公司完成新一轮融资", "", "industry", curator.ByScore}, // 4 vs 4+2.5
		{"negative bias", "TechCrunch", "Docker tips", "", "misc", curator.ByFallback},
		{"bias needs a rule that fired", "TechCrunch", "A new phone", "", "misc", curator.ByFallback},
		{"bias counts towards the threshold", "TechCrunch", "", "funding", "industry", curator.ByScore}, // 2+2.5 >= 3
		{"without the bias", "Other", "", "funding", "misc", curator.ByFallback},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := feeds.Item{Title: tc.title, Summary: tc.summary, Stored: feeds.Stored{SourceName: tc.source}}
			d := rs.Classify(&it)
			ex := rs.Explain(&it)
			if d.Section != tc.want || ex.Section != tc.want || ex.Decision != tc.decision {
				t.Errorf("got %s (%s), want %s (%s)", d.Section, ex.Decision, tc.want, tc.decision)
			}
		})
	}
	ex := rs.Explain(&feeds.Item{Title: "Mesos 公司完成新一轮融资", Stored: feeds.Stored{SourceName: "TechCrunch"}})
	if ex.Source == nil || ex.Source.Name != "TechCrunch" || ex.Scores[2].Bias != 2.5 || ex.Scores[2].Score != 6.5 || ex.Scores[0].Bias != 0 {
		t.Errorf("explanation %+v %+v", ex.Source, ex.Scores)
	}
	// The default section's prior is a term of its score, in the JSON and
	// in the text.
	ex = rs.Explain(&feeds.Item{Title: "Docker", Summary: "kubernetes 落地", Stored: feeds.Stored{SourceName: "Kubernetes Blog"}})
	if ex.Source == nil || ex.Source.DefaultPrior != 1.5 || ex.Scores[1].SourceDefault != 1.5 || ex.Scores[1].Rules != 3 || ex.Scores[1].Score != 4.5 || ex.Scores[0].SourceDefault != 0 {
		t.Errorf("explanation %+v %+v", ex.Source, ex.Scores)
	}
	var b strings.Builder
	if err := ex.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"paas        4.5  (rules 3, source default +1.5)  <-", "(default section paas, prior +1.5)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("explain text lacks %q:\n%s", want, b.String())
		}
	}
	if a, b := rs.Version(), mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 3}).Version(); a == b {
		t.Error("source options do not change the version")
	}
	opts.Sources = append(opts.Sources, curator.SourceOptions{Name: "Another plain one"})
	if mustCompile(t, digestSections, opts).Version() != rs.Version() {
		t.Error("a source without settings changes the version")
	}
}

func TestExclude(t *testing.T) {
	rs := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 1, Exclude: []curator.RuleSpec{
		{Name: "ads", Keywords: []string{"广告", "sponsored"}, Fields: []string{"title"}},
		{Name: "jobs", Keywords: []string{"招聘", "hiring"}, None: []curator.RuleSpec{{Keywords: []string{"裁员", "layoffs"}}}},
	}})
	cases := []struct {
		title    string
		excluded bool
		section  string
	}{
		{"【广告】Docker 企业版限时优惠", true, "containers"},
		{"Sponsored: Kubernetes training", true, "paas"},
		{"Docker 公司招聘 SRE", true, "containers"},
		{"Twitter layoffs hit hiring", false, "misc"},
		{"Docker 1.12", false, "containers"},
	}
	for _, tc := range cases {
		it := feeds.Item{Title: tc.title}
		d := rs.Classify(&it)
		ex := rs.Explain(&it)
		if d.Excluded != tc.excluded || ex.Excluded != tc.excluded || d.Section != tc.section {
			t.Errorf("%q: excluded %v (explain %v) in %s, want %v in %s", tc.title, d.Excluded, ex.Excluded, d.Section, tc.excluded, tc.section)
		}
		if tc.excluded && (len(ex.Exclusions) == 0 || !strings.HasPrefix(ex.Exclusions[0].Path, "curator.exclude[")) {
			t.Errorf("%q: exclusions %+v", tc.title, ex.Exclusions)
		}
	}
}

func TestCompileErrorsNested(t *testing.T) {
	_, err := curator.Compile([]curator.SectionSpec{
		{ID: "a", Rules: []curator.RuleSpec{
			{All: []curator.RuleSpec{{Keywords: []string{"x"}}, {Regex: []string{"("}}}},
			{Keywords: []string{"x"}, Any: []curator.RuleSpec{{}, {Keywords: []string{"y"}, Weight: 2}}},
			{None: []curator.RuleSpec{{Keywords: []string{"z"}}}},
			{All: []curator.RuleSpec{{None: []curator.RuleSpec{{Keywords: []string{"z"}}}}}},
			{Keywords: []string{"x"}, None: []curator.RuleSpec{{Keywords: []string{"*"}, Fields: []string{"body"}}}},
			{Keywords: []string{"x"}, Weight: -2},
		}},
		{ID: "b"},
	}, curator.Options{
		Threshold: -1,
		Exclude:   []curator.RuleSpec{{Keywords: []string{"spam"}, Weight: 3}, {Any: []curator.RuleSpec{{Regex: []string{"[a"}}}}},
		Sources: []curator.SourceOptions{
			{Name: "s0", Section: "nope"},
			{Name: "s1", Bias: map[string]float64{"zzz": 1}},
		},
	})
	if err == nil {
		t.Fatal("no error")
	}
	want := map[string]error{
		"sections[0].rules[0].all[1].regex[0]":     curator.ErrBadRegex,
		"sections[0].rules[1].any[0]":              curator.ErrEmptyRule,
		"sections[0].rules[1].any[1].weight":       curator.ErrWeightNotAllowed,
		"sections[0].rules[2]":                     curator.ErrNoPositive,
		"sections[0].rules[3]":                     curator.ErrNoPositive,
		"sections[0].rules[4].none[0].keywords[0]": curator.ErrEmptyKeyword,
		"sections[0].rules[4].none[0].fields[0]":   curator.ErrUnknownField,
		"sections[0].rules[5].weight":              curator.ErrBadWeight,
		"curator.threshold":                        curator.ErrBadThreshold,
		"curator.exclude[0].weight":                curator.ErrWeightNotAllowed,
		"curator.exclude[1].any[0].regex[0]":       curator.ErrBadRegex,
		"sources[0].section":                       curator.ErrUnknownTarget,
		"sources[1].bias.zzz":                      curator.ErrUnknownTarget,
	}
	got := map[string]error{}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var re *curator.RuleError
		if !errors.As(e, &re) {
			t.Fatalf("not a RuleError: %v", e)
		}
		got[re.Path] = re.Err
	}
	for path, sentinel := range want {
		if e, ok := got[path]; !ok || !errors.Is(e, sentinel) {
			t.Errorf("%s: got %v, want %v", path, e, sentinel)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
}

func TestT2SFolding(t *testing.T) {
	// Common traditional forms in tech writing all fold to simplified, and
	// simplified text is left alone.
	pairs := map[string]string{
		"開發": "开发", "雲計算": "云计算", "網絡": "网络", "數據庫": "数据库", "機器學習": "机器学习",
		"應用": "应用", "實踐": "实践", "編排": "编排", "叢集": "丛集", "容器": "容器", "監控": "监控",
		"發佈": "发布", "收購": "收购", "融資": "融资", "伺服器": "伺服器", "軟體": "软体", "鏡像": "镜像",
		"參加": "参加", "比較": "比较", "開始": "开始", "後": "后", "裏": "里", "臺": "台",
	}
	for trad, simp := range pairs {
		rs := oneRule(t, curator.RuleSpec{Keywords: []string{simp}})
		if rs.Classify(&feeds.Item{Title: "——" + trad + "——"}).Section != "hit" {
			t.Errorf("%s does not match %s", trad, simp)
		}
		rs = oneRule(t, curator.RuleSpec{Keywords: []string{trad}})
		if rs.Classify(&feeds.Item{Title: "——" + simp + "——"}).Section != "hit" {
			t.Errorf("keyword %s does not match %s", trad, simp)
		}
	}
}
