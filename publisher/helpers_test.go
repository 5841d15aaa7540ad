package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zoneinfo

	"github.com/feedcurator/feedcurator/internal/testutil"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/publisher"
)

// requireTool is testutil.RequireTool.
var requireTool = testutil.RequireTool

// testNow is the publisher's clock: Tuesday 2016-07-05, so that with the
// digest on Mondays at 09:00 in Shanghai the issue of 2016-W26 is out.
var testNow = time.Date(2016, 7, 5, 12, 0, 0, 0, time.UTC)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

var testSections = []feeds.Section{
	{ID: "containers", Title: "云计算及容器技术"},
	{ID: "paas", Title: "PaaS技术落地实践"},
	{ID: "industry", Title: "业内动态"},
	{ID: "misc", Title: "大杂烩"},
}

// memStore is the publisher's Store over slices, counting its calls.
type memStore struct {
	mu      sync.Mutex
	version int64
	items   []feeds.Item
	sources []feeds.Source
	calls   map[string]int
	kept    map[string]string
	gate    chan struct{} // when set, PublishedItems waits for it to close
	entered chan string   // when set, PublishedItems reports its section here
	err     error
}

func (m *memStore) count(name string) {
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[name]++
}

func (m *memStore) Calls(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[name]
}

func (m *memStore) Version(ctx context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version, m.err
}

func (m *memStore) KeepValue(ctx context.Context, key, value string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return "", m.err
	}
	if v, ok := m.kept[key]; ok {
		return v, nil
	}
	if m.kept == nil {
		m.kept = map[string]string{}
	}
	m.kept[key] = value
	return value, nil
}

func (m *memStore) Sources(ctx context.Context) ([]feeds.Source, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count("Sources")
	return append([]feeds.Source(nil), m.sources...), m.err
}

func (m *memStore) published() []feeds.Item {
	var out []feeds.Item
	for _, it := range m.items {
		if it.Section != "" && !it.Excluded {
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].SortTime.Equal(out[j].SortTime) {
			return out[i].SortTime.After(out[j].SortTime)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

func (m *memStore) PublishedItems(ctx context.Context, section string, before feeds.Cursor, limit int) ([]feeds.Item, error) {
	m.mu.Lock()
	gate, entered := m.gate, m.entered
	m.count("PublishedItems")
	m.count("PublishedItems:" + section)
	m.mu.Unlock()
	if entered != nil {
		entered <- section
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	var out []feeds.Item
	for _, it := range m.published() {
		if section != "" && it.Section != section {
			continue
		}
		if !before.IsZero() {
			c := feeds.CursorOf(&it)
			if c.Time.After(before.Time) || (c.Time.Equal(before.Time) && c.ID >= before.ID) {
				continue
			}
		}
		if len(out) == limit {
			break
		}
		out = append(out, it)
	}
	return out, nil
}

func (m *memStore) DigestItems(ctx context.Context, section string, from, to time.Time, limit int) ([]feeds.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count("DigestItems")
	if m.err != nil {
		return nil, m.err
	}
	var out []feeds.Item
	for _, it := range m.published() {
		if it.Section == section && !it.SortTime.Before(from) && it.SortTime.Before(to) {
			out = append(out, it)
		}
	}
	// The best scored first, then the oldest, then the lowest ID.
	sort.SliceStable(out, func(i, j int) bool {
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
	return out, nil
}

func (m *memStore) DigestSections(ctx context.Context, from, to time.Time) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count("DigestSections")
	if m.err != nil {
		return nil, m.err
	}
	seen := map[string]bool{}
	var ids []string
	for _, it := range m.published() {
		if !seen[it.Section] && !it.SortTime.Before(from) && it.SortTime.Before(to) {
			seen[it.Section] = true
			ids = append(ids, it.Section)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// update changes the store under its lock and bumps its version.
func (m *memStore) update(f func(m *memStore)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m)
	m.version++
}

// hostileHTML is a summary from a source that tries everything: the
// payloads every page of the project is tested with.
const hostileHTML = testutil.HostileHTML

// testItems is the fixed item set: items in 2016-W26 and before, in every
// section, Chinese and English, one with a hostile summary, one excluded.
func testItems() []feeds.Item {
	at := func(d, h int) time.Time { return time.Date(2016, 6, d, h, 0, 0, 0, shanghai).UTC() }
	src := func(it feeds.Item, n int64) feeds.Item {
		it.SourceID = n
		it.SourceName = fmt.Sprintf("来源%d", n)
		it.SourceURL = fmt.Sprintf("https://source%d.example.cn/feed.xml", n)
		it.SourceLink = fmt.Sprintf("https://source%d.example.cn/", n)
		it.SourceTitle = fmt.Sprintf("Source %d", n)
		return it
	}
	mk := func(id int64, section string, t time.Time, title, summary string) feeds.Item {
		it := feeds.Item{
			ID: id, Key: fmt.Sprintf("guid:item-%d", id), GUID: fmt.Sprintf("item-%d", id),
			Published: t,
			Title:     title, Summary: summary, Link: fmt.Sprintf("https://news.example.cn/2016/%d.html", id),
			Author: fmt.Sprintf("作者%d", id), Lang: "zh-CN", Stored: feeds.Stored{Section: section, Score: float64(10 - id%7), SortTime: t, FetchedAt: t.Add(time.Minute)},
		}
		return src(it, 1+id%3)
	}
	items := []feeds.Item{
		mk(1, "containers", at(27, 10), "浅谈Docker安全：技术、生态和最新的安全特性",
			"<p>本文从容器安全、镜像安全、安全生态（Twistlock、Aqua、clair等）等方面介绍当前docker安全相关话题。这是个很大的话题。</p>"),
		mk(2, "containers", at(28, 10), "在DockerCon 2016上宣布的内置编排能力该如何玩呢？", hostileHTML),
		mk(3, "paas", at(28, 12), "Kubernetes Master High Availability 高级实践",
			"本次分享论述的Master高可用方案主要基于社区的高可用方案的实践。"),
		mk(4, "paas", at(29, 9), "公有云上的容器实践分享", "<p>本文介绍了在公有云上的一次容器实践，包括如何选型。</p>"),
		mk(5, "industry", at(30, 20), "有消息称：微软试图斥资40亿美金收购Docker",
			"据熟悉这两家公司的多位消息灵通人士表示，微软准备斥资40亿美金收购Docker。"),
		mk(6, "misc", at(30, 21), "Serverless架构综述", "本文从两种serverless类型BaaS、FaaS切入介绍什么是serverless。"),
		mk(7, "misc", at(20, 8), "上一周：微信开源PhxPaxos", "微信重磅开源生产级Paxos类库PhxPaxos。"),
		mk(8, "industry", at(21, 8), "上一周：Docker推出软件市场", "Docker公司宣布封闭测试的Docker商店。"),
		mk(9, "containers", at(22, 8), "上一周：关于Docker 1.12中的最新功能", "新版本的发布对存储层面来说。"),
		mk(10, "paas", at(27, 10), "同一时刻：cAdvisor和Wavefront监控容器", "本文介绍了如何使用cAdvisor。"),
		mk(11, "misc", at(29, 10), "被排除的文章", "不应出现。"),
	}
	// An English item, with an author, content, no summary, another
	// language and markup in its title.
	en := mk(12, "paas", at(29, 15), "Kubernetes 1.3: <b>Bridging</b> Cloud Native & Enterprise", "")
	en.Content = `<p>Kubernetes 1.3 is out. It brings <a href="/blog/federation">federation</a> and PetSets.</p>`
	en.Lang, en.Author, en.Link = "en", "Aparna Sinha", "https://kubernetes.io/blog/2016/07/kubernetes-1-3/"
	items = append(items, en)
	items[10].Excluded = true
	return items
}

func testSources() []feeds.Source {
	return []feeds.Source{
		{ID: 1, Name: "InfoQ 中文", ConfigURL: "https://www.infoq.cn/feed", Tags: []string{"zh"},
			State: feeds.FetchState{FeedLink: "https://www.infoq.cn/", FeedLang: "zh-CN"}},
		{ID: 2, Name: "Kubernetes Blog", ConfigURL: "https://kubernetes.io/feed.xml", Tags: []string{"en", "paas"}},
		{ID: 3, Name: "R&D <Notes>", ConfigURL: "https://example.com/feed?a=1&b=2"},
	}
}

func newStore() *memStore {
	return &memStore{version: 1, items: testItems(), sources: testSources()}
}

// digestOptions publish on Mondays at 09:00 in Shanghai.
func digestOptions() digest.Options {
	o := digest.DefaultOptions()
	o.Location = shanghai
	o.Sections = testSections
	o.Now = func() time.Time { return testNow }
	return o
}

// testOptions configure a publisher at base with the digest.
func testOptions(t testing.TB, store *memStore, base string) publisher.Options {
	return publisher.Options{
		BaseURL:  base,
		Title:    "一周业内技术动态",
		Subtitle: "容器、PaaS与业内动态",
		Author:   "feedcurator",
		Lang:     "zh-CN",
		Items:    50,
		Sections: testSections,
		Location: shanghai,
		Now:      func() time.Time { return testNow },
		Digest:   digest.New(store, digestOptions(), zerolog.Nop()),
	}
}

// newServer serves a publisher over store; opts may change the options.
func newServer(t *testing.T, store *memStore, opts func(*publisher.Options)) (*publisher.Publisher, *httptest.Server) {
	t.Helper()
	// The address is known before the server starts: the publisher needs
	// it as its base URL.
	srv := httptest.NewUnstartedServer(nil)
	o := testOptions(t, store, "http://"+srv.Listener.Addr().String())
	if opts != nil {
		opts(&o)
	}
	p := publisher.New(store, o, zerolog.New(zerolog.NewTestWriter(t)))
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return p, srv
}

// fetch sends a request and returns the response with its body read.
func fetch(t testing.TB, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The transport would ask for gzip and decode it behind our back.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func mustGet(t testing.TB, url string, header ...string) []byte {
	t.Helper()
	resp, body := fetch(t, "GET", url, header...)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d: %s", url, resp.StatusCode, body)
	}
	return body
}

var errStore = errors.New("store on fire")
