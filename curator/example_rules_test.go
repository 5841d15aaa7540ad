package curator_test

import (
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
)

// TestExampleRulesEvents checks the default rules on the kinds of item
// they used to misfile: events whose titles are full of topic words, word
// forms, monitoring and scheduling words outside containers, and the two
// items of seed 000 that the editors put in 云计算及容器技术. Every case
// is decided by the scores alone, final rules or not.
func TestExampleRulesEvents(t *testing.T) {
	rs := exampleRuleset(t)
	cases := []struct{ title, summary, want string }{
		{"SUSE to Acquire Rancher Labs", "SUSE will acquire Rancher Labs, the Kubernetes management company.", "industry"},
		{"SUSE收购Rancher Labs", "Kubernetes管理平台Rancher被SUSE收购", "industry"},
		{"Slack outages disruption: what happened on January 4", "", "industry"},
		{"HashiCorp lays off 8% of staff", "The maker of Terraform and Nomad cuts jobs.", "industry"},
		{"Docker raises $105M Series C", "Docker Desktop and Docker Hub growth.", "industry"},
		{"Java线程池调度原理", "线程池如何调度任务，监控线程池的运行状态与告警。", "misc"},
		{"Linux调度器CFS详解", "完全公平调度器的原理", "misc"},
		{"How we achieved zero-downtime deploys on Kubernetes", "Rolling updates and readiness probes.", "paas"},
		{"Kubernetes Pod Disruption Budget详解", "", "paas"},
		{"深度解读Weaveworks提供的容器集群网络和监控解决方案",
			"Weaveworks' Weave Net是容器化部署的网络解决方案，其Micro SDN方案具有高易用性、可用性和健壮性等特点。目前weave net还可以配合scope一起使用，可视化地展示目前集群的主机，容器，进程，以及他们之间的通信关系。",
			"containers"},
		{"在DockerCon 2016上宣布的内置编排（Orchestration）能力该如何玩呢？",
			"Docker官方将提供内置的编排（Orchestration）能力，从而能使得Docker Engine原生支持集群管理和服务生命周期管理。这个宣布对每个Docker开发者和厂商都有重要影响，也会左右现有Docker编排市场格局，Solomon把这称为自Docker发布以来最大的一次改变。本文主要从尝鲜角度使用构建docker编排系统（基于阿里云ecs），并验证了service和可用性等功能。",
			"containers"},
	}
	for _, tc := range cases {
		ex := rs.Explain(&feeds.Item{Title: tc.title, Summary: tc.summary})
		if ex.Section != tc.want {
			t.Errorf("%q: got %s, want %s; scores %+v", tc.title, ex.Section, tc.want, ex.Scores)
		}
	}
}
