package config_test

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

// noRules is a configuration whose sections have no rules at all: items
// reach them by a source's default section, by a bias (which adds nothing
// without a rule) and by the fallback.
const noRules = `
sources:
  - name: 容器周刊
    url: https://a.example/feed
    section: containers
    bias: {misc: 3}
  - name: b
    url: https://b.example/feed
sections:
  - id: containers
    title: 云计算及容器技术
  - id: misc
    title: 大杂烩
`

// pipelineSeeds returns configurations to start from: the example, every
// configuration in the FuzzParse corpus under testdata, and noRules.
func pipelineSeeds(tb testing.TB) []string {
	tb.Helper()
	example, err := os.ReadFile(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	seeds := []string{string(example), minimal, noRules}
	corpus, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range corpus {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		// A corpus file is "go test fuzz v1" and one quoted string.
		_, arg, ok := strings.Cut(string(b), "\n")
		arg = strings.TrimSpace(arg)
		if !ok || !strings.HasPrefix(arg, "string(") || !strings.HasSuffix(arg, ")") {
			tb.Fatalf("%s: not a one-string fuzz corpus file", p)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(arg, "string("), ")"))
		if err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		seeds = append(seeds, s)
	}
	return seeds
}

// pipelineItems are classified under every configuration that validates,
// besides the fuzzed one.
var pipelineItems = []feeds.Item{
	{Title: "浅谈Docker安全：技术、生态和最新的安全特性", Summary: "<p>容器 &amp; 镜像</p>", Link: "https://mp.weixin.qq.com/s/x"},
	{Title: "Running Kubernetes in production", Categories: []string{"k8s"}, Link: "https://kubernetes.io/blog/x"},
	{Title: "Sponsored: 优惠券", Summary: "广告"},
	{Title: "", Summary: "", Link: "::"},
}

// FuzzPipeline runs the daemon's whole path from configuration text to
// decisions: config.Parse, cfg.Ruleset, then Classify and Explain of a few
// items, one of them fuzzed and attributed to one of the configured
// sources. A configuration that validates must compile, and classifying
// under it must not panic, must give a configured section, must agree with
// Explain and must be the same on a second call and under a second
// compilation of the same configuration.
func FuzzPipeline(f *testing.F) {
	for _, s := range pipelineSeeds(f) {
		f.Add(s, "Docker 容器 Kubernetes", "<p>生产环境 5000 节点</p>", "https://a.example/p", uint8(0))
	}
	f.Add(noRules, "anything", "", "", uint8(1))
	f.Add(noRules, "", "", "", uint8(2))
	f.Fuzz(func(t *testing.T, src, title, summary, link string, pick uint8) {
		cfg, err := config.Parse(strings.NewReader(src), "fuzz.yaml")
		if err != nil {
			return
		}
		rs, err := cfg.Ruleset()
		if err != nil {
			t.Fatalf("configuration validates but its rules do not compile: %v", err)
		}
		again, err := cfg.Ruleset()
		if err != nil {
			t.Fatalf("second compilation failed: %v", err)
		}
		if rs.Version() != again.Version() {
			t.Fatalf("rules version %s, then %s for the same configuration", rs.Version(), again.Version())
		}
		sections := map[string]bool{}
		for _, s := range cfg.Sections {
			sections[s.ID] = true
		}

		items := append([]feeds.Item(nil), pipelineItems...)
		it := feeds.Item{Title: title, Summary: summary, Content: summary, Link: link, Categories: []string{title}}
		// pick chooses a configured source (so its default section and
		// bias apply), or none.
		if n := len(cfg.Sources); n > 0 && int(pick)%(n+1) < n {
			s := cfg.Sources[int(pick)%(n+1)]
			it.SourceName, it.SourceTags = s.Name, s.Tags
		}
		items = append(items, it)
		for _, s := range cfg.Sources {
			items = append(items, feeds.Item{Title: title, Stored: feeds.Stored{SourceName: s.Name}})
		}
		for i := range items {
			checkDecision(t, rs, again, sections, &items[i])
		}
	})
}

func checkDecision(t *testing.T, rs, again *curator.Ruleset, sections map[string]bool, it *feeds.Item) {
	t.Helper()
	d := rs.Classify(it)
	if !sections[d.Section] {
		t.Fatalf("item %q of source %q: section %q is not configured", it.Title, it.SourceName, d.Section)
	}
	if d2 := rs.Classify(it); d2 != d {
		t.Fatalf("item %q of source %q: classified %+v, then %+v", it.Title, it.SourceName, d, d2)
	}
	if d2 := again.Classify(it); d2 != d {
		t.Fatalf("item %q of source %q: %+v, but %+v under a second compilation", it.Title, it.SourceName, d, d2)
	}
	ex := rs.Explain(it)
	if ex.Section != d.Section || ex.Score != d.Score || ex.Excluded != d.Excluded {
		t.Fatalf("item %q of source %q: classify %+v, explain says %s %v excluded=%v",
			it.Title, it.SourceName, d, ex.Section, ex.Score, ex.Excluded)
	}
	if ex2 := again.Explain(it); !reflect.DeepEqual(ex, ex2) {
		t.Fatalf("item %q of source %q: explanations differ between compilations:\n%+v\n%+v", it.Title, it.SourceName, ex, ex2)
	}
	if err := ex.WriteText(io.Discard); err != nil {
		t.Fatalf("item %q: write explanation: %v", it.Title, err)
	}
}
