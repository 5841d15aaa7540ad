package digest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zoneinfo

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// memStore is a Store over a slice. It counts its queries and the items
// it returned.
type memStore struct {
	mu       sync.Mutex
	items    []feeds.Item
	calls    int
	returned int
	err      error
}

// published returns the items of section (any when "") whose sort time
// lies in [from, to).
func (m *memStore) published(section string, from, to time.Time) []feeds.Item {
	var out []feeds.Item
	for _, it := range m.items {
		if (section == "" || it.Section == section) && !it.SortTime.Before(from) && it.SortTime.Before(to) {
			out = append(out, it)
		}
	}
	return out
}

func (m *memStore) DigestItems(ctx context.Context, section string, from, to time.Time, limit int) ([]feeds.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return nil, m.err
	}
	out := m.published(section, from, to)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if !out[i].SortTime.Equal(out[j].SortTime) {
			return out[i].SortTime.Before(out[j].SortTime)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	m.returned += len(out)
	return out, nil
}

func (m *memStore) DigestSections(ctx context.Context, from, to time.Time) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return nil, m.err
	}
	seen := map[string]bool{}
	var ids []string
	for _, it := range m.published("", from, to) {
		if !seen[it.Section] {
			seen[it.Section] = true
			ids = append(ids, it.Section)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

var sections = []feeds.Section{
	{ID: "containers", Title: "云计算及容器技术"},
	{ID: "paas", Title: "PaaS技术落地实践"},
	{ID: "industry", Title: "业内动态"},
	{ID: "misc", Title: "大杂烩"},
}

// seedItems is the fixed item set of the golden test: the items of seed
// 000 (2016-W25 in Asia/Shanghai), plus the awkward cases.
func seedItems(t testing.TB) []feeds.Item {
	sh := mustLoc(t, "Asia/Shanghai")
	day := func(d, h int) time.Time { return time.Date(2016, 6, d, h, 0, 0, 0, sh) }
	mk := func(id int64, section string, score float64, at time.Time, title, summary, link string) feeds.Item {
		return feeds.Item{
			ID: id, Published: at.UTC(),
			Title: title, Summary: summary, Link: link, Stored: feeds.Stored{Section: section, Score: score, SortTime: at.UTC(), FetchedAt: at.UTC(),
				SourceName: "容器时代"},
		}
	}
	return []feeds.Item{
		mk(1, "containers", 9, day(20, 10), "浅谈Docker安全：技术、生态和最新的安全特性",
			"<p>本文从容器安全、镜像安全、安全生态（Twistlock、Aqua、clair等）等方面介绍当前docker安全相关话题。这是个很大的话题，本文只是简单提及，在生产环境的实践过程中，还需要细细考量。</p>",
			"https://mp.weixin.qq.com/s?__biz=MzI0NTE4NjA0OQ==&mid=2658351228&idx=1&sn=c11d59c2"),
		mk(2, "containers", 5, day(21, 9), "深度解读Weaveworks提供的容器集群网络和监控解决方案",
			"Weaveworks' Weave Net是容器化部署的网络解决方案，其Micro SDN方案具有高易用性、可用性和健壮性等特点。目前weave net还可以配合scope一起使用，可视化地展示目前集群的主机，容器，进程，以及他们之间的通信关系。",
			"https://mp.weixin.qq.com/s?__biz=MzI0NTE4NjA0OQ==&mid=2658351204&idx=2"),
		mk(3, "containers", 5, day(22, 9), "在DockerCon 2016上宣布的内置编排（Orchestration）能力该如何玩呢？",
			"<div><p>Docker官方将提供内置的编排（Orchestration）能力，从而能使得Docker Engine原生支持集群管理和服务生命周期管理。</p><p>这个宣布对每个Docker开发者和厂商都有重要影响，也会左右现有Docker编排市场格局，Solomon把这称为自Docker发布以来最大的一次改变。本文主要从尝鲜角度使用构建docker编排系统（基于阿里云ecs），并验证了service和可用性等功能。</p></div>",
			"https://mp.weixin.qq.com/s?__biz=MzI0NTE4NjA0OQ==&mid=2658351079&idx=2"),
		mk(4, "containers", 3, day(23, 9), "关于Docker 1.12中的最新功能，你需要了解这些",
			"新版本的发布对存储层面来说，最值得关注的自然是分卷驱动器支持能力的强化。这些变更不仅能够使我们对分卷进行标记，从而明确其属于本地抑或全局可访问对象，同时也能够提供与可用分卷相关的驱动器具体信息。",
			"https://mp.weixin.qq.com/s?__biz=MzA3MDg4Nzc2NQ==&mid=2652133608&idx=1"),
		mk(5, "paas", 8, day(20, 12), "Kubernetes Master High Availability 高级实践",
			"本次分享论述的Master高可用方案主要基于[社区的高可用方案]的实践，并做了两方面的优化提升：第一，除了kubelet之外，Kubernetes所有组件容器化；第二，通过haproxy和keepalived构建Loadbalancer实现Master的高可用。",
			"https://mp.weixin.qq.com/s?__biz=MzIzMzExNDQ3MA==&mid=2650091772&idx=1"),
		mk(6, "paas", 6, day(24, 8), "公有云上的容器实践分享",
			"本文介绍了在公有云上的一次容器实践，包括如何选型，做了哪些技术验证，遇到了哪些问题，如何解决的。分享中还包括对于云平台本身高可靠、高性能、持续发布、服务注册发现等方面的设计方案，以及后续的发展愿景及规划，旨在与大家探讨一些关于Docker、Kubernetes、CoreOS、Hystrix等具体技术的实践经验。",
			"https://mp.weixin.qq.com/s?__biz=MzA5OTAyNzQ2OA==&mid=2649690562&idx=1"),
		mk(7, "paas", 4, day(25, 8), "如何使用cAdvisor和Wavefront监控容器",
			"Docker 1.5中引入的Docker Stats API带来了从容器中输出资源指标（CPU和内存使用量）的能力。而且也有很多开源的项目致力于容器的监控，这其中就包括Google的cAdvisor。本文介绍了如何使用cAdvisor和Wavefront监控docker容器。",
			"https://mp.weixin.qq.com/s?__biz=MzA5OTAyNzQ2OA==&mid=2649690495&idx=1"),
		mk(8, "industry", 7, day(20, 20), "有消息称：微软试图斥资40亿美金收购Docker",
			"在上周于西雅图召开的DockerCon 2016大会上，称微软想斥资数十亿美金收购Docker的消息传得沸沸扬扬。据熟悉这两家公司的多位消息灵通人士表示，过去六个月有传闻称，微软准备斥资40亿美金，收购Docker这家拥有250名员工的容器技术初创公司。",
			"https://mp.weixin.qq.com/s?__biz=MjM5MzM3NjM4MA==&mid=2654676844&idx=2"),
		mk(9, "industry", 7, day(21, 20), "Docker推出软件市场（Docker Store）",
			"Docker公司近日在西雅图召开的开发者大会上宣布封闭测试的Docker商店（Docker Store），这个新市场面向可信赖的、通过验证的容器化软件。",
			"https://mp.weixin.qq.com/s?__biz=MjM5MzM3NjM4MA==&mid=2654676796&idx=2"),
		mk(10, "industry", 2, day(26, 23), "容器产品近一年的使用率增长了96%！",
			"由ClusterHQ委托DevOps.com进行的一项针对310份IT产品的调查显示，我们惊讶的发现，一年来容器技术应用于生产的比例增长了96%。",
			"https://mp.weixin.qq.com/s?__biz=MzA5OTAyNzQ2OA==&mid=2649690524&idx=1"),
		mk(11, "misc", 3, day(22, 7), "Serverless架构综述",
			"本文从两种serverless类型BaaS、FaaS（Aws lambda）概念及例子切入介绍什么是serverless，然后着重解密了什么是FaaS及与PaaS的比较。",
			"https://mp.weixin.qq.com/s?__biz=MzA5OTAyNzQ2OA==&mid=2649690504&idx=1"),
		mk(12, "misc", 3, day(23, 7), "微信开源：生产级paxos类库PhxPaxos实现原理介绍",
			"微信重磅开源生产级Paxos类库PhxPaxos,本文将告诉你Paxos是什么，用来做什么，怎么使用它，如何工程化，如何做到生产级别，以及在工程上会遇到的问题与解决办法。",
			"https://mp.weixin.qq.com/s?__biz=MjM5MDE0Mjc4MA==&mid=2650993105&idx=1"),
		// Markup in the title, a script in the summary and a javascript:
		// link: plain text comes out, and no 原文链接.
		mk(13, "misc", 1, day(24, 7), "OpenStack 的<b>“钱”景</b> *_[1]_*",
			`<script>alert("x")</script><p onclick="evil()">本文将讨论OpenStack的商业模式，并以Mirantis的商业模式为例，与Red Hat的商业模式做对比。</p>`,
			"javascript:alert(1)"),
		// English text cut at a sentence, with its summary empty and its
		// content used instead.
		{ID: 14,
			Title:   "The Log: What every software engineer should know",
			Content: "<p>I joined LinkedIn about six years ago at a particularly interesting time. We were just beginning to run up against the limits of our monolithic, centralized database and needed to start the transition to a portfolio of specialized distributed systems.</p>",
			Link:    "https://engineering.linkedin.com/distributed-systems/log-what-every-software-engineer-should-know-about-real-time-datas-unifying", Stored:
			// A section that is not configured, and items outside the week.
			feeds.Stored{Section: "misc", Score: 1, SortTime: day(25, 7).UTC(), FetchedAt: day(25, 7).UTC(),
				SourceName: "LinkedIn Engineering"},
		},

		mk(15, "gone", 9, day(22, 7), "不在任何配置的栏目里", "不应出现。", "https://example.com/gone"),
		mk(16, "misc", 9, day(19, 23), "上一周的文章", "不应出现。", "https://example.com/before"),
		mk(17, "misc", 9, day(27, 0), "下一周的文章", "不应出现。", "https://example.com/after"),
	}
}

// seedOptions publish the issue of a week on the Friday after it at
// 16:38:20 in Shanghai: the issue of 2016-W25 is seed 000's, 【20160701】.
func seedOptions(t testing.TB) digest.Options {
	o := digest.DefaultOptions()
	o.Weekday = time.Friday
	o.At = 16*time.Hour + 38*time.Minute + 20*time.Second
	o.Location = mustLoc(t, "Asia/Shanghai")
	o.Sections = sections
	o.SummaryMax = 160
	return o
}

func newBuilder(t testing.TB, store digest.Store, o digest.Options) *digest.Builder {
	return digest.New(store, o, zerolog.New(zerolog.NewTestWriter(t)))
}

func TestMarkdownGolden(t *testing.T) {
	b := newBuilder(t, &memStore{items: seedItems(t)}, seedOptions(t))
	is, err := b.Build(context.Background(), feeds.Week{Year: 2016, Week: 25})
	if err != nil {
		t.Fatal(err)
	}
	got := b.Markdown(is)
	testutil.Golden(t, filepath.Join("testdata", "2016-W25.md.golden"), got, *update)
	for _, bad := range []string{"不应出现", "script", "onclick", "javascript:", "<b>"} {
		if bytes.Contains(got, []byte(bad)) {
			t.Errorf("Markdown contains %q", bad)
		}
	}
}

// seedLine matches every kind of line in seed 000, so the digest can be
// checked to have its shape line by line.
var seedLine = []*regexp.Regexp{
	regexp.MustCompile(`^---$`),
	regexp.MustCompile(`^layout: \S+$`),
	regexp.MustCompile(`^title:  "【\d{8}】[^"]+"$`),
	regexp.MustCompile(`^date:   \d{4}-\d\d-\d\d \d\d:\d\d:\d\d( [+-]\d{4})?$`),
	regexp.MustCompile(`^categories: \S+$`),
	regexp.MustCompile(`^tags: \S+$`),
	regexp.MustCompile(`^# \d{8}期$`),
	regexp.MustCompile(`^### \S.*$`),
	regexp.MustCompile(`^#### \d+、\S.*$`),
	regexp.MustCompile(`^> 要点[:：] ?\S.*$`),
	regexp.MustCompile(`^原文链接：\[点击进入\]\[post-link-[\d.]+\]$`),
	regexp.MustCompile(`^推荐阅读：`),
	regexp.MustCompile(`^\[post-link-[\d.]+\]: ?https?://\S+$`),
	regexp.MustCompile(`^$`),
}

func lineKind(line string) int {
	for i, re := range seedLine {
		if re.MatchString(strings.TrimRight(line, " ")) {
			return i
		}
	}
	return -1
}

// TestMarkdownShape compares the digest with seed 000 itself: the same
// front matter and heading, and the same kinds of line in the same order
// (a section, its numbered items, each a 要点, a link and its reference).
func TestMarkdownShape(t *testing.T) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "shared", "seeds", "000_*.txt"))
	if len(seeds) == 0 {
		t.Skip("seed 000 not found beside the project")
	}
	seed, err := os.ReadFile(seeds[0])
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(t, &memStore{items: seedItems(t)}, seedOptions(t))
	is, err := b.Build(context.Background(), feeds.Week{Year: 2016, Week: 25})
	if err != nil {
		t.Fatal(err)
	}
	got := b.Markdown(is)

	seedLines := strings.Split(string(seed), "\n")
	gotLines := strings.Split(string(got), "\n")
	// Front matter and the issue heading: the seed's, byte for byte, but
	// for two additions: the date carries its offset (Jekyll reads a date
	// without one as UTC, and would file the issue under the next day),
	// and Liquid is off for the post.
	want := append([]string(nil), seedLines[:8]...)
	want[3] += " +0800"
	want = slices.Insert(want, 6, "render_with_liquid: false")
	for i := range want {
		if gotLines[i] != want[i] {
			t.Errorf("line %d = %q, want %q (seed: %q)", i+1, gotLines[i], want[i], seedLines[min(i, 7)])
		}
	}
	// The additions are not lines of the seed's kinds.
	gotLines = slices.Delete(gotLines, 6, 7)
	// Every line is of a kind the seed has, and the kinds follow one
	// another as in the seed.
	follows := map[[2]int]bool{}
	prev := -1
	for i, l := range seedLines {
		k := lineKind(l)
		if k < 0 {
			t.Fatalf("seed line %d %q matches no kind", i+1, l)
		}
		follows[[2]int{prev, k}] = true
		prev = k
	}
	prev = -1
	for i, l := range gotLines {
		k := lineKind(l)
		if k < 0 {
			t.Errorf("line %d %q is of no kind in the seed", i+1, l)
			continue
		}
		if !follows[[2]int{prev, k}] {
			t.Errorf("line %d %q: the seed never has this kind of line after %q", i+1, l, gotLines[i-1])
		}
		prev = k
	}
	// A reference definition ends each item with a link, as in the seed.
	sc := bufio.NewScanner(bytes.NewReader(got))
	refs, links := 0, 0
	for sc.Scan() {
		switch lineKind(sc.Text()) {
		case 10:
			links++
		case 12:
			refs++
		}
	}
	if refs != links || links != is.Len()-1 { // one item has no safe link
		t.Errorf("%d links and %d references for %d items", links, refs, is.Len())
	}
}

func TestBuildSelection(t *testing.T) {
	o := seedOptions(t)
	o.PerSection = 2
	b := newBuilder(t, &memStore{items: seedItems(t)}, o)
	is, err := b.Build(context.Background(), feeds.Week{Year: 2016, Week: 25})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range is.Sections {
		var titles []string
		for _, e := range s.Items {
			titles = append(titles, e.Title)
		}
		got = append(got, s.ID+": "+strings.Join(titles, " | "))
	}
	want := []string{
		"containers: 浅谈Docker安全：技术、生态和最新的安全特性 | 深度解读Weaveworks提供的容器集群网络和监控解决方案",
		"paas: Kubernetes Master High Availability 高级实践 | 公有云上的容器实践分享",
		"industry: 有消息称：微软试图斥资40亿美金收购Docker | Docker推出软件市场（Docker Store）",
		"misc: Serverless架构综述 | 微信开源：生产级paxos类库PhxPaxos实现原理介绍",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("issue holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if is.Title != "【20160701】一周业内技术动态" || is.Heading != "20160701期" {
		t.Errorf("title %q heading %q", is.Title, is.Heading)
	}
	if is.Date.Format("2006-01-02 15:04:05 MST") != "2016-07-01 16:38:20 CST" {
		t.Errorf("date %v", is.Date)
	}
	if is.From.Format(time.RFC3339) != "2016-06-20T00:00:00+08:00" || is.To.Format(time.RFC3339) != "2016-06-27T00:00:00+08:00" {
		t.Errorf("week %v to %v", is.From, is.To)
	}
	if _, err := b.Build(context.Background(), feeds.Week{Year: 2021, Week: 53}); !errors.Is(err, feeds.ErrBadWeek) {
		t.Errorf("Build(2021-W53): %v", err)
	}
}

func TestSchedule(t *testing.T) {
	o := digest.DefaultOptions()
	o.Location = mustLoc(t, "Asia/Shanghai")
	b := newBuilder(t, &memStore{}, o) // Mondays 09:00
	w26 := feeds.Week{Year: 2016, Week: 26}
	if got := b.PublishTime(w26).Format(time.RFC3339); got != "2016-07-04T09:00:00+08:00" {
		t.Errorf("PublishTime(2016-W26) = %s", got)
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tt := range []struct {
		now  string
		want string
	}{
		{"2016-07-04T08:59:59+08:00", "2016-W25"},
		{"2016-07-04T09:00:00+08:00", "2016-W26"},
		{"2016-07-04T01:00:00Z", "2016-W26"}, // 09:00 in Shanghai
		{"2016-07-10T23:59:59+08:00", "2016-W26"},
		{"2016-07-11T09:00:00+08:00", "2016-W27"},
		{"2021-01-04T09:00:00+08:00", "2020-W53"},
	} {
		if got := b.Latest(at(tt.now)).String(); got != tt.want {
			t.Errorf("Latest(%s) = %s, want %s", tt.now, got, tt.want)
		}
	}
	// A Sunday schedule publishes at the end of the next week.
	o.Weekday, o.At = time.Sunday, 20*time.Hour
	b = newBuilder(t, &memStore{}, o)
	if got := b.PublishTime(w26).Format(time.RFC3339); got != "2016-07-10T20:00:00+08:00" {
		t.Errorf("Sunday PublishTime(2016-W26) = %s", got)
	}
	// Across a DST change the wall-clock hour holds.
	o.Weekday, o.At, o.Location = time.Monday, 9*time.Hour, mustLoc(t, "Europe/Berlin")
	b = newBuilder(t, &memStore{}, o)
	if got := b.PublishTime(feeds.Week{Year: 2024, Week: 12}).Format(time.RFC3339); got != "2024-03-25T09:00:00+01:00" {
		t.Errorf("PublishTime before DST = %s", got)
	}
	if got := b.PublishTime(feeds.Week{Year: 2024, Week: 13}).Format(time.RFC3339); got != "2024-04-01T09:00:00+02:00" {
		t.Errorf("PublishTime after DST = %s", got)
	}
}

func TestRecent(t *testing.T) {
	o := seedOptions(t)
	items := seedItems(t)
	// An item two weeks later; the week between is empty.
	late := items[0]
	late.ID, late.Title = 99, "两周后的文章"
	late.SortTime = time.Date(2016, 7, 6, 12, 0, 0, 0, time.UTC)
	items = append(items, late)
	o.Now = func() time.Time { return time.Date(2016, 7, 15, 9, 0, 0, 0, time.UTC) } // 17:00 Friday in Shanghai
	store := &memStore{items: items}
	b := newBuilder(t, store, o)
	issues, err := b.Recent(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	var weeks []string
	for _, is := range issues {
		weeks = append(weeks, is.Week.String())
	}
	// Due: W27 (published 07-15 16:38), W26 (the item at its first
	// moment), W25, W24 (the item at its last moment); W23 is empty.
	if strings.Join(weeks, " ") != "2016-W27 2016-W26 2016-W25 2016-W24" {
		t.Errorf("recent issues %v", weeks)
	}
	// One query per section and week, each for at most PerSection items
	// (DefaultPerSection here): the store is never asked for whole weeks.
	if store.calls != 5*len(sections) {
		t.Errorf("%d store queries, want %d (5 weeks of %d sections)", store.calls, 5*len(sections), len(sections))
	}
	if got := b.Options().PerSection; got != digest.DefaultPerSection {
		t.Errorf("PerSection 0 gives %d, want DefaultPerSection %d", got, digest.DefaultPerSection)
	}
	for _, is := range issues {
		if want := mustBuild(t, b, is.Week); !reflect.DeepEqual(is, want) {
			t.Errorf("Recent's issue of %s differs from Build's", is.Week)
		}
	}
	if len(issues) == 4 && (issues[2].Len() != 14 || issues[0].Len() != 1) {
		t.Errorf("W25 has %d items, want 14; W27 %d, want 1", issues[2].Len(), issues[0].Len())
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	o := seedOptions(t)
	o.Dir = dir
	o.Interval = time.Millisecond
	var mu sync.Mutex
	now := time.Date(2016, 7, 1, 8, 38, 19, 0, time.UTC) // a second before 16:38:20 in Shanghai
	o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := &memStore{items: seedItems(t)[:15]} // none in W24
	b := newBuilder(t, store, o)
	ctx := context.Background()

	// Before the scheduled time, the due week is W24, which is empty.
	if w, err := b.PublishDue(ctx, feeds.Week{}); !errors.Is(err, digest.ErrEmpty) || w.String() != "2016-W24" {
		t.Fatalf("PublishDue = %v, %v; want 2016-W24, ErrEmpty", w, err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("wrote %v for an empty week", files)
	}

	// At the scheduled time Run writes W25, once.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	rctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- b.Run(rctx) }()
	path := filepath.Join(dir, "2016-07-01-2016-W25.md")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run wrote no digest")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	want := b.Markdown(mustBuild(t, b, feeds.Week{Year: 2016, Week: 25}))
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Errorf("written file differs from Markdown")
	}

	// A hand-edited issue is not overwritten by a later run.
	if err := os.WriteFile(path, []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PublishDue(ctx, feeds.Week{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "edited" {
		t.Errorf("Run overwrote an existing issue")
	}
	// WriteFile, as `feedcurator digest --week` uses it, does.
	if _, err := b.WriteFile(dir, mustBuild(t, b, feeds.Week{Year: 2016, Week: 25})); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Errorf("WriteFile did not rewrite the issue")
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("folder holds %d files, want 1 (no temporary files left)", len(files))
	}

	// Store errors are returned, and Run with no interval returns at once.
	store.err = errors.New("disk on fire")
	if _, err := b.PublishDue(ctx, feeds.Week{}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("PublishDue with a failing store: %v", err)
	}
	o.Interval = 0
	if err := newBuilder(t, store, o).Run(ctx); err != nil {
		t.Error(err)
	}
	// An empty issue is not written.
	if _, err := b.WriteFile(dir, &feeds.Issue{Week: feeds.Week{Year: 2016, Week: 1}}); !errors.Is(err, digest.ErrEmpty) {
		t.Errorf("WriteFile(empty) = %v", err)
	}
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustBuild(t testing.TB, b *digest.Builder, w feeds.Week) *feeds.Issue {
	t.Helper()
	is, err := b.Build(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// TestIssueUpdated checks that each issue's Updated is its own: its date,
// or later when one of the items it shows arrived or changed after that;
// and that an item it does not show (cut by PerSection, in a section the
// digest leaves out, or of another week) never moves it.
func TestIssueUpdated(t *testing.T) {
	o := seedOptions(t)
	o.PerSection = 2
	o.Now = func() time.Time { return time.Date(2016, 7, 20, 0, 0, 0, 0, time.UTC) }
	store := &memStore{items: seedItems(t)}
	// Items of W26, fetched while it ran.
	for i, at := range []time.Time{time.Date(2016, 6, 28, 3, 0, 0, 0, time.UTC), time.Date(2016, 6, 29, 3, 0, 0, 0, time.UTC)} {
		store.items = append(store.items, feeds.Item{ID: int64(100 + i), Published: at, Title: fmt.Sprint("W26 的文章 ", i), Stored: feeds.Stored{Section: "paas", Score: 5, SortTime: at, FetchedAt: at}})
	}
	b := newBuilder(t, store, o)
	w25, w26 := feeds.Week{Year: 2016, Week: 25}, feeds.Week{Year: 2016, Week: 26}
	updated := func() map[feeds.Week]time.Time {
		issues, err := b.Recent(context.Background(), 3)
		if err != nil {
			t.Fatal(err)
		}
		m := map[feeds.Week]time.Time{}
		for _, is := range issues {
			m[is.Week] = is.Updated
			if !is.Updated.Equal(mustBuild(t, b, is.Week).Updated) {
				t.Errorf("%s: Recent's Updated %v differs from Build's", is.Week, is.Updated)
			}
		}
		return m
	}
	before := updated()
	for _, w := range []feeds.Week{w25, w26} {
		if date := b.PublishTime(w); !before[w].Equal(date) {
			t.Errorf("%s: Updated %v, want its date %v (every item arrived before it)", w, before[w], date)
		}
	}

	// Items for W25 arriving late, on 07-18, that the issue does not show.
	late := time.Date(2016, 7, 18, 0, 0, 0, 0, time.UTC)
	inWeek := time.Date(2016, 6, 22, 0, 0, 0, 0, time.UTC)
	store.items = append(store.items,
		feeds.Item{ID: 200, Updated: late, Title: "分数太低", Stored: feeds.Stored{Section: "paas", Score: 0, SortTime: inWeek, FetchedAt: late}},
		feeds.Item{ID: 201, Title: "不在配置的栏目里", Stored: feeds.Stored{Section: "gone", Score: 99, SortTime: inWeek, FetchedAt: late}},
	)
	for w, u := range updated() {
		if !u.Equal(before[w]) {
			t.Errorf("%s: Updated moved from %v to %v for an item it does not show", w, before[w], u)
		}
	}

	// One it shows moves it, and only it.
	store.items = append(store.items, feeds.Item{ID: 202, Title: "迟到的好文章", Stored: feeds.Stored{Section: "paas", Score: 50, SortTime: inWeek, FetchedAt: late}})
	after := updated()
	if !after[w25].Equal(late) {
		t.Errorf("W25: Updated %v after a late item it shows, want %v", after[w25], late)
	}
	if !after[w26].Equal(before[w26]) {
		t.Errorf("W26: Updated moved from %v to %v for an item of another week", before[w26], after[w26])
	}
}

// TestPublishDueEmptyWeek checks that a daemon started after an issue was
// due, on a store with nothing for that week yet, writes the issue when the
// items arrive: an empty week is not done.
func TestPublishDueEmptyWeek(t *testing.T) {
	dir := t.TempDir()
	o := seedOptions(t)
	o.Dir = dir
	o.Interval = time.Millisecond
	o.Now = func() time.Time { return time.Date(2016, 7, 2, 0, 0, 0, 0, time.UTC) } // W25 due since 07-01
	store := &memStore{}
	b := newBuilder(t, store, o)
	ctx := context.Background()
	path := filepath.Join(dir, "2016-07-01-2016-W25.md")

	// As Run calls it: the week is returned, not done.
	var done feeds.Week
	w, err := b.PublishDue(ctx, done)
	if !errors.Is(err, digest.ErrEmpty) || w.String() != "2016-W25" {
		t.Errorf("PublishDue on an empty store = %v, %v; want 2016-W25, ErrEmpty", w, err)
	}
	if err == nil {
		done = w
	}
	store.mu.Lock()
	store.items = seedItems(t)
	store.mu.Unlock()
	if w, err := b.PublishDue(ctx, done); err != nil || w.String() != "2016-W25" {
		t.Fatalf("PublishDue once the items arrived = %v, %v", w, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the issue was not written once its items arrived: %v", err)
	}

	// And Run itself: started on an empty store, it writes the issue
	// once the items arrive.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	store.mu.Lock()
	store.items, store.calls = nil, 0
	store.mu.Unlock()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- b.Run(rctx) }()
	waitFor(t, "Run to look at the empty week twice", func() bool {
		store.mu.Lock()
		defer store.mu.Unlock()
		return store.calls >= 2*len(sections)
	})
	if _, err := os.Stat(path); err == nil {
		t.Fatal("Run wrote an issue with no items")
	}
	store.mu.Lock()
	store.items = seedItems(t)
	store.mu.Unlock()
	waitFor(t, "Run to write the issue", func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing after a minute: a deadline
// for a hung test, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// FuzzMarkdown checks, for any title, summary and link a source may
// write, that the post's body holds no brace (so no Liquid and no kramdown
// extension, attribute list or header id), no unescaped "<", "$" or "~",
// and exactly the lines of the seeds' kinds: nothing a source wrote starts
// a line of its own.
func FuzzMarkdown(f *testing.F) {
	for _, s := range hostileText {
		f.Add(s, s, "https://example.com/?q={{site.email}}")
	}
	f.Add("标题\n# 新行", "要点\n\n> 引用\r\n---", "https://example.com/a b<c>\"'")
	o := seedOptions(f)
	o.SummaryMax = 0
	at := time.Date(2016, 6, 21, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, title, summary, link string) {
		store := &memStore{items: []feeds.Item{{ID: 1,
			Title: title, Summary: summary, Link: link, Stored: feeds.Stored{Section: "misc", SortTime: at, FetchedAt: at},
		}}}
		b := digest.New(store, o, zerolog.Nop())
		is, err := b.Build(context.Background(), feeds.Week{Year: 2016, Week: 25})
		if err != nil {
			t.Fatal(err)
		}
		md := string(b.Markdown(is))
		parts := strings.SplitN(md, "\n---\n", 2)
		if len(parts) != 2 {
			t.Fatalf("no front matter:\n%s", md)
		}
		body := parts[1]
		if strings.ContainsAny(body, "{}") {
			t.Errorf("a brace in the body:\n%s", body)
		}
		for _, l := range strings.Split(body, "\n") {
			k := lineKind(l)
			if k < 0 {
				t.Errorf("line %q is of no kind in the seed:\n%s", l, body)
			}
			if k == 12 {
				continue // a reference definition: a URL, where "$" and "~" are plain
			}
			for i, r := range l {
				if strings.ContainsRune("<$~", r) && (i == 0 || l[i-1] != '\\') {
					t.Errorf("unescaped %q in %q", r, l)
					break
				}
			}
		}
		if n := strings.Count(body, "\n#### "); n != 1 {
			t.Errorf("%d item headings, want 1:\n%s", n, body)
		}
	})
}

// TestRunFollowsReload: a folder set by a reload (SetOptions) while Run
// goes on is written to, without a restart.
func TestRunFollowsReload(t *testing.T) {
	o := seedOptions(t)
	o.Interval = time.Millisecond
	o.Now = func() time.Time { return time.Date(2016, 7, 1, 8, 38, 20, 0, time.UTC) }
	store := &memStore{items: seedItems(t)[:15]}
	b := newBuilder(t, store, o) // no Dir: nothing to write yet
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}()
	dir := t.TempDir()
	o.Dir = dir
	b.SetOptions(o)
	path := filepath.Join(dir, "2016-07-01-2016-W25.md")
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			files, _ := os.ReadDir(dir)
			t.Fatalf("after digest.dir was set while running, %s holds %v, not the W25 issue", dir, files)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
