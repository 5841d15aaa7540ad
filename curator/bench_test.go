package curator_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/feeds"
)

// benchItems are 100,000 items of realistic size (title, a summary of a few
// sentences, categories), Chinese (simplified and traditional) and English
// mixed.
func benchItems(n int) []feeds.Item {
	titles := []string{
		"浅谈Docker安全：技术、生态和最新的安全特性",
		"深度解读Weaveworks提供的容器集群网络和监控解决方案",
		"Kubernetes 1.30 在生产环境的落地实践",
		"Microsoft acquires a container security startup for $200M",
		"How we run 10,000 Postgres databases on Kubernetes",
		"Rust 2024 edition released with async closures",
		"阿里云完成新一轮组织调整，发布新一代云服务器",
		"A practical guide to service mesh with Istio and Envoy",
		"Kubernetes 叢集在生產環境的實踐與監控", // traditional: folded to simplified
	}
	summaries := []string{
		"<p>本文从容器安全、镜像安全、安全生态（Twistlock、Aqua、clair等）等方面介绍当前docker安全相关话题。这是个很大的话题，本文只是简单提及，在生产环境的实践过程中，还需要细细考量。</p>",
		"Weave Net是容器化部署的网络解决方案，其Micro SDN方案具有高易用性、可用性和健壮性等特点。",
		"<p>We describe the platform team's migration, the operators we wrote, and what broke along the way &amp; how we fixed it.</p>",
		"The deal, announced on Tuesday, values the company at about ten times its annual revenue, according to people familiar with the matter.",
	}
	items := make([]feeds.Item, n)
	for i := range items {
		items[i] = feeds.Item{
			Title:      fmt.Sprintf("%s (%d)", titles[i%len(titles)], i),
			Summary:    summaries[i%len(summaries)],
			Categories: []string{"cloud", "技术"},
			Link:       fmt.Sprintf("https://example.com/post/%d", i),
		}
	}
	return items
}

// BenchmarkClassify classifies 100k items with the rules of
// config.example.yaml and reports items per second on one goroutine.
func BenchmarkClassify(b *testing.B) {
	cfg, err := config.Load(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		b.Fatal(err)
	}
	items := benchItems(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range items {
			rs.Classify(&items[j])
		}
	}
	b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkExplain is the cost of an explanation, which the curator stores
// with every item it classifies.
func BenchmarkExplain(b *testing.B) {
	cfg, err := config.Load(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		b.Fatal(err)
	}
	items := benchItems(10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range items {
			rs.Explain(&items[j])
		}
	}
	b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "items/s")
}

// TestBriefExplanation checks that the stored form keeps the decision and
// the rules that fired, drops the matched text, and stays small.
func TestBriefExplanation(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	var full, brief int
	for _, it := range benchItems(9) {
		ex := rs.Explain(&it)
		b := ex.Brief()
		if b.Section != ex.Section || b.Score != ex.Score || b.Decision != ex.Decision || b.Version != ex.Version || b.Excluded != ex.Excluded {
			t.Errorf("%s: brief decision %+v differs from %+v", it.Title, b, ex)
		}
		if len(b.Fired) != len(ex.Fired) || len(b.Exclusions) != len(ex.Exclusions) {
			t.Errorf("%s: brief keeps %d/%d firings, want %d/%d", it.Title, len(b.Fired), len(b.Exclusions), len(ex.Fired), len(ex.Exclusions))
		}
		for i, f := range b.Fired {
			if f.Matches != nil || f.Path != ex.Fired[i].Path || f.Score != ex.Fired[i].Score {
				t.Errorf("%s: brief firing %+v, full %+v", it.Title, f, ex.Fired[i])
			}
		}
		for _, s := range b.Scores {
			if s.Score == 0 && s.Bias == 0 {
				t.Errorf("%s: brief keeps the empty score of %s", it.Title, s.Section)
			}
		}
		if len(ex.Fired) > 0 && len(ex.Fired[0].Matches) == 0 {
			t.Errorf("%s: Brief changed the full explanation", it.Title)
		}
		fj, _ := json.Marshal(ex)
		bj, _ := json.Marshal(b)
		if len(bj) >= len(fj) || len(bj) > 1024 {
			t.Errorf("%s: brief explanation of %d bytes (full %d): want smaller and at most 1 KiB", it.Title, len(bj), len(fj))
		}
		full, brief = full+len(fj), brief+len(bj)
	}
	t.Logf("stored explanation: %d bytes brief, %d full, for 9 items", brief, full)
}
