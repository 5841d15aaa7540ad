package main

import (
	"math/rand/v2"
	"strings"
)

// The farm's items are built from these sentences, English and Chinese,
// written so that the example configuration's rules have something to find:
// every section's keywords occur, in both languages, as do sentences that
// match nothing.
var englishSentences = []string{
	"The Docker team shipped a new container runtime that starts images twice as fast on cold nodes.",
	"Kubernetes 1.36 graduates the sidecar containers feature and tightens pod security defaults.",
	"A startup building a serverless platform raises funding from two venture firms this week.",
	"The acquisition of the observability vendor closes after regulators approve the deal.",
	"Operators describe running Prometheus and Grafana across forty clusters in production.",
	"A vulnerability in a popular image registry let attackers push unsigned layers.",
	"The service mesh now supports ambient mode, removing the sidecar from every pod.",
	"Engineers compare PostgreSQL and MySQL replication under heavy write load.",
	"The conference keynote announces a new release of the scheduler with better bin packing.",
	"Rust and Go both appear in the survey of languages used for cloud infrastructure.",
	"GitOps with Argo CD keeps the desired state of every environment in one repository.",
	"The report shows market share for managed Kubernetes growing among mid-size companies.",
	"WebAssembly modules run beside containers in the new edge runtime preview.",
	"A long outage at a cloud provider took down build pipelines for several hours.",
	"Researchers present an algorithm that cuts tail latency for key-value stores.",
	"The quarterly earnings call mentions revenue growth from the platform business.",
	"Volunteers repaired the old bridge over the river before the spring floods arrived.",
	"The bakery on the corner now opens at six and sells bread until it runs out.",
	"A new hiking trail connects the two villages through the pine forest.",
	"Machine learning teams move training jobs onto the shared GPU cluster.",
}

var chineseSentences = []string{
	"容器技术在生产环境中的落地实践越来越成熟，镜像构建速度大幅提升。",
	"本次大会发布了新版本的编排平台，集群调度性能提高了一倍。",
	"这家云计算公司宣布完成新一轮融资，估值超过十亿美元。",
	"微服务架构下的服务发现与服务网格方案对比分析。",
	"某知名开源项目曝出严重漏洞，官方已发布修复版本。",
	"运维团队分享了基于 Prometheus 的监控与日志体系建设经验。",
	"持续集成与持续交付流水线帮助团队每天发布数十次。",
	"数据库性能调优：从索引设计到查询优化的完整指南。",
	"人工智能与机器学习在推荐系统中的应用越来越广泛。",
	"行业报告显示，企业对平台工程的投资在过去一年明显增加。",
	"春天到了，公园里的樱花开得正盛，游客络绎不绝。",
	"老街上的面馆开了三十年，味道一直没有变。",
	"镜像仓库的安全扫描已成为容器交付流程的标准环节。",
	"弹性伸缩和高可用设计是云原生应用的基本要求。",
	"前端框架的更新让页面加载速度提升了百分之四十。",
	"这次收购将帮助公司拓展海外市场，完善产品战略。",
}

// paragraphs returns n paragraphs, each roughly size bytes, alternating
// between English and Chinese, drawn deterministically from seed.
func paragraphs(n, size int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]string, n)
	for i := range out {
		pool := englishSentences
		if i%2 == 1 {
			pool = chineseSentences
		}
		var b strings.Builder
		for b.Len() < size {
			if b.Len() > 0 && i%2 == 0 {
				b.WriteByte(' ')
			}
			b.WriteString(pool[r.IntN(len(pool))])
		}
		out[i] = b.String()
	}
	return out
}

// titleWords make item titles distinct and varied.
var titleWords = []string{
	"Docker", "Kubernetes", "funding", "容器", "集群", "融资", "release", "发布",
	"outage", "数据库", "mesh", "微服务", "survey", "报告", "bakery", "樱花",
}
