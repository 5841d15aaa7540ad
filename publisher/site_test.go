package publisher_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/publisher"
)

func TestDigestFeedAndPages(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)
	d := parseAtom(t, mustGet(t, srv.URL+"/feeds/digest.atom"))
	// Due at testNow: W26 (Monday 07-04 09:00 CST) and W25.
	if len(d.Entries) != 2 {
		t.Fatalf("digest feed has %d entries, want 2", len(d.Entries))
	}
	e := d.Entries[0]
	if e.Title != "【20160704】一周业内技术动态" || e.ID != "tag:127.0.0.1,2026:digest/2016-W26" {
		t.Errorf("newest issue %q id %q", e.Title, e.ID)
	}
	if e.Published != "2016-07-04T01:00:00Z" || e.Links[0].Href != srv.URL+"/digest/2016-W26.html" {
		t.Errorf("issue published %q, link %+v", e.Published, e.Links)
	}
	for _, want := range []string{"云计算及容器技术", "浅谈Docker安全", "要点: ", "原文链接", "https://news.example.cn/2016/1.html"} {
		if !strings.Contains(e.Content, want) {
			t.Errorf("issue content lacks %q", want)
		}
	}
	if strings.Contains(e.Content, "被排除的文章") || strings.Contains(e.Content, "上一周") {
		t.Error("issue content holds an excluded item or one of the week before")
	}
	if d.Entries[1].Title != "【20160627】一周业内技术动态" {
		t.Errorf("older issue %q", d.Entries[1].Title)
	}
	if d.link("next") != "" {
		t.Error("the digest feed has no pages")
	}
	if resp, _ := fetch(t, "GET", srv.URL+"/feeds/digest.atom?before=1467000000000-5"); resp.StatusCode != 400 {
		t.Errorf("digest page: status %d, want 400", resp.StatusCode)
	}

	page := string(mustGet(t, srv.URL+"/digest/2016-W26.html"))
	for _, want := range []string{`<meta name="viewport"`, "【20160704】一周业内技术动态", "<h2>PaaS技术落地实践</h2>", "要点: 本次分享论述的Master高可用方案", `href="https://news.example.cn/2016/3.html"`} {
		if !strings.Contains(page, want) {
			t.Errorf("digest page lacks %q", want)
		}
	}
	md := mustGet(t, srv.URL+"/digest/2016-W26.md")
	b := digest.New(store, digestOptions(), zerolog.Nop())
	is, err := b.Build(context.Background(), feeds.Week{Year: 2016, Week: 26})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md, b.Markdown(is)) || !bytes.HasPrefix(md, []byte("---\nlayout: post\ntitle:  \"【20160704】")) {
		t.Errorf("served Markdown differs from the builder's:\n%s", md)
	}
	// Not due yet, empty, malformed, not canonical: 404.
	for _, path := range []string{"/digest/2016-W27.html", "/digest/2016-W10.html", "/digest/2016-W99.html", "/digest/2016w26.html", "/digest/x.html"} {
		if resp, _ := fetch(t, "GET", srv.URL+path); resp.StatusCode != 404 {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
	}

	// Without a digest, the feed is empty and pages are 404.
	_, bare := newServer(t, store, func(o *publisher.Options) { o.Digest = nil })
	if d := parseAtom(t, mustGet(t, bare.URL+"/feeds/digest.atom")); len(d.Entries) != 0 {
		t.Errorf("digest feed without a digest has %d entries", len(d.Entries))
	}
	if resp, _ := fetch(t, "GET", bare.URL+"/digest/2016-W26.html"); resp.StatusCode != 404 {
		t.Errorf("digest page without a digest: %d", resp.StatusCode)
	}
}

// TestDigestFollowsTheClock: a new issue appears when it falls due, with
// no change in the store.
func TestDigestFollowsTheClock(t *testing.T) {
	store := newStore()
	var mu sync.Mutex
	now := time.Date(2016, 7, 4, 0, 59, 0, 0, time.UTC) // 08:59 in Shanghai
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, srv := newServer(t, store, func(o *publisher.Options) {
		o.Now = clock
		do := digestOptions()
		do.Now = clock
		o.Digest = digest.New(store, do, zerolog.Nop())
	})
	if d := parseAtom(t, mustGet(t, srv.URL+"/feeds/digest.atom")); len(d.Entries) != 1 {
		t.Fatalf("before 09:00, %d issues, want 1", len(d.Entries))
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if d := parseAtom(t, mustGet(t, srv.URL+"/feeds/digest.atom")); len(d.Entries) != 2 {
		t.Errorf("at 09:00, %d issues, want 2", len(d.Entries))
	}
}

func TestIndexPage(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)
	resp, body := fetch(t, "GET", srv.URL+"/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	page := string(body)
	for _, want := range []string{
		`<html lang="zh-CN">`, `<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<link rel="alternate" type="application/atom+xml" title="一周业内技术动态 (Atom)" href="` + srv.URL + `/feeds/all.atom">`,
		`<link rel="alternate" type="application/feed+json" title="一周业内技术动态 · 业内动态 (JSON Feed)" href="` + srv.URL + `/feeds/industry.json">`,
		`<link rel="alternate" type="application/rss+xml" title="一周业内技术动态 · 周刊 (RSS)" href="` + srv.URL + `/feeds/digest.rss">`,
		`<section class="view" id="containers">`, `<h2>云计算及容器技术</h2>`,
		`<a href="https://news.example.cn/2016/5.html">有消息称：微软试图斥资40亿美金收购Docker</a>`,
		`Kubernetes 1.3: Bridging Cloud Native &amp; Enterprise`,
		`href="` + srv.URL + `/sources.opml"`, `href="` + srv.URL + `/digest/2016-W26.html"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Every view in every format is linked for subscribing.
	for _, v := range []string{"all", "containers", "paas", "industry", "misc", "digest"} {
		for _, f := range publisher.Formats {
			if n := strings.Count(page, `href="`+srv.URL+"/feeds/"+v+"."+f+`"`); n < 2 {
				t.Errorf("%s.%s linked %d times, want in the head and the body", v, f, n)
			}
		}
	}
	if strings.Contains(page, "被排除的文章") || strings.Contains(page, "<script") {
		t.Error("page holds an excluded item or a script")
	}
	if resp, _ := fetch(t, "GET", srv.URL+"/index.html"); resp.StatusCode != 200 {
		t.Errorf("/index.html: %d", resp.StatusCode)
	}
}

// hub is a WebSub hub that records publish pings.
type hub struct {
	*httptest.Server
	mu     sync.Mutex
	topics []string
	fail   bool
}

func newHub(t *testing.T) *hub {
	h := &hub{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != "POST" || r.PostForm.Get("hub.mode") != "publish" ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "bad ping", 400)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.topics = append(h.topics, r.PostForm.Get("hub.url"))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hub) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics
	h.topics = nil
	sort.Strings(t)
	return t
}

func TestWebSub(t *testing.T) {
	store := newStore()
	h := newHub(t)
	p, srv := newServer(t, store, func(o *publisher.Options) { o.Hub = h.URL + "/hub" })
	ctx := context.Background()

	// The first pages name the hub; older pages do not.
	a := parseAtom(t, mustGet(t, srv.URL+"/feeds/all.atom"))
	if a.link("hub") != h.URL+"/hub" || a.link("self") != srv.URL+"/feeds/all.atom" {
		t.Errorf("atom links %+v", a.Links)
	}
	j := parseJSON(t, mustGet(t, srv.URL+"/feeds/all.json"))
	if len(j.Hubs) != 1 || j.Hubs[0].URL != h.URL+"/hub" || j.Hubs[0].Type != "WebSub" {
		t.Errorf("json hubs %+v", j.Hubs)
	}
	r := parseRSS(t, mustGet(t, srv.URL+"/feeds/all.rss"))
	if !slices.ContainsFunc(r.Channel.Links, func(l link) bool { return l.Rel == "hub" && l.Href == h.URL+"/hub" }) {
		t.Errorf("rss links %+v", r.Channel.Links)
	}

	// The first refresh announces every feed.
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 6*3 {
		t.Errorf("first refresh pinged %d topics, want 18: %q", len(got), got)
	}
	// Nothing changed: no pings.
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 0 {
		t.Errorf("refresh without a change pinged %q", got)
	}
	// A store change that leaves the feeds as they were: no pings.
	store.update(func(*memStore) {})
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 0 {
		t.Errorf("refresh after a version bump alone pinged %q", got)
	}
	// An industry item changes: the feeds showing it are announced (the
	// digest of its week too), the other sections' are not.
	store.update(func(m *memStore) {
		for i := range m.items {
			if m.items[i].ID == 5 {
				m.items[i].Title = "更正：微软并未收购Docker"
			}
		}
	})
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range []string{"all", "industry", "digest"} {
		for _, f := range publisher.Formats {
			want = append(want, srv.URL+"/feeds/"+v+"."+f)
		}
	}
	sort.Strings(want)
	if got := h.take(); !slices.Equal(got, want) {
		t.Errorf("pinged %q, want %q", got, want)
	}

	// A hub that fails is pinged again on the next refresh.
	h.mu.Lock()
	h.fail = true
	h.mu.Unlock()
	store.update(func(m *memStore) { m.items[0].Title = "再改一次" })
	if err := p.Refresh(ctx); err == nil {
		t.Error("refresh with a failing hub reported no error")
	}
	h.mu.Lock()
	h.fail = false
	h.mu.Unlock()
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 9 { // all, containers and the digest, three formats each
		t.Errorf("retry pinged %q", got)
	}

	// Run pings within its interval.
	o := testOptions(t, store, srv.URL)
	o.Hub, o.Interval = h.URL+"/hub", 10*time.Millisecond
	p2 := publisher.New(store, o, zerolog.Nop())
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p2.Run(rctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		n := len(h.topics)
		h.mu.Unlock()
		if n == 18 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run pinged %d topics", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Run with no interval returns at once.
	o.Interval = 0
	if err := publisher.New(store, o, zerolog.Nop()).Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestStaticOutput(t *testing.T) {
	store := newStore()
	dir := filepath.Join(t.TempDir(), "site")
	p, srv := newServer(t, store, func(o *publisher.Options) { o.OutputDir = dir; o.Items = 3 })
	ctx := context.Background()
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range []string{"all", "containers", "paas", "industry", "misc", "digest"} {
		for _, f := range publisher.Formats {
			want = append(want, "feeds/"+v+"."+f)
		}
	}
	for _, sec := range testSections {
		want = append(want, "sections/"+sec.ID+".html")
	}
	want = append(want, "index.html", "sources.opml", "favicon.ico",
		"digest/2016-W26.html", "digest/2016-W26.md", "digest/2016-W25.html", "digest/2016-W25.md")
	sort.Strings(want)
	if !slices.Equal(files, want) {
		t.Errorf("static files %q\nwant %q", files, want)
	}

	// The files are what the server serves, less the paging links.
	static, err := os.ReadFile(filepath.Join(dir, "feeds", "all.atom"))
	if err != nil {
		t.Fatal(err)
	}
	a := parseAtom(t, static)
	if a.link("next") != "" || a.link("self") != srv.URL+"/feeds/all.atom" || len(a.Entries) != 3 {
		t.Errorf("static all.atom: links %+v, %d entries", a.Links, len(a.Entries))
	}
	for _, name := range []string{"index.html", "sources.opml", "digest/2016-W26.md", "feeds/paas.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if served := mustGet(t, srv.URL+"/"+strings.TrimSuffix(name, "index.html")); !bytes.Equal(b, served) && name != "feeds/paas.json" {
			t.Errorf("%s differs from what is served", name)
		}
	}

	// Unchanged files are not rewritten; changed ones are.
	stat := func(name string) time.Time {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	old := map[string]time.Time{"feeds/misc.atom": stat("feeds/misc.atom"), "feeds/industry.atom": stat("feeds/industry.atom")}
	time.Sleep(20 * time.Millisecond)
	store.update(func(m *memStore) {
		for i := range m.items {
			if m.items[i].ID == 5 {
				m.items[i].Title = "更正"
			}
		}
	})
	if err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if !stat("feeds/misc.atom").Equal(old["feeds/misc.atom"]) {
		t.Error("an unchanged file was rewritten")
	}
	if stat("feeds/industry.atom").Equal(old["feeds/industry.atom"]) {
		t.Error("a changed file was not rewritten")
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Join(dir, "feeds"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
	// WriteStatic writes anywhere on demand.
	other := t.TempDir()
	if err := p.WriteStatic(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(other, "feeds", "digest.json")); err != nil {
		t.Error(err)
	}
	// An output folder that cannot be written is an error.
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteStatic(ctx, blocked); err == nil {
		t.Error("WriteStatic into a file succeeded")
	}
	// Run's refresh tries a failed copy again, with no change in between.
	o := testOptions(t, store, srv.URL)
	o.OutputDir = blocked
	p2 := publisher.New(store, o, zerolog.Nop())
	if err := p2.Refresh(ctx); err == nil {
		t.Error("Refresh into a file succeeded")
	}
	if err := os.Remove(blocked); err != nil {
		t.Fatal(err)
	}
	if err := p2.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(blocked, "index.html")); err != nil {
		t.Errorf("the retry wrote nothing: %v", err)
	}
}

// TestRunFollowsReload: an output folder set by a reload (SetOptions)
// while Run goes on is written, without a restart.
func TestRunFollowsReload(t *testing.T) {
	store := newStore()
	p, _ := newServer(t, store, func(o *publisher.Options) { o.Interval = time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	dir := filepath.Join(t.TempDir(), "site")
	o := p.Options()
	o.OutputDir = dir
	p.SetOptions(o)
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, "feeds", "all.atom")); err == nil {
			return
		}
		if time.Now().After(deadline) {
			files, _ := os.ReadDir(dir)
			t.Fatalf("after publish.output_dir was set while running, %s holds %v", dir, files)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
