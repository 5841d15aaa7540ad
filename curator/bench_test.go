package curator_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
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
	benchClassify(b, exampleRuleset(b))
}

// benchClassify classifies 100k items with rs and reports items per second.
func benchClassify(b *testing.B, rs *curator.Ruleset) {
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
