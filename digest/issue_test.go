package digest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/publisher"
	"github.com/feedcurator/feedcurator/sqlite"
)

var _ digest.IssueStore = (*sqlite.DB)(nil)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

var deskSections = []feeds.Section{{ID: "cloud", Title: "云计算及容器技术"}, {ID: "bigdata", Title: "大数据"}, {ID: "security", Title: "安全"}}

// desk is a store with sources and a loopback site, and the digest and
// publisher over it as the daemon wires them.
type desk struct {
	t       *testing.T
	ctx     context.Context
	path    string
	db      *sqlite.DB
	clock   *clock
	srcs    []feeds.Source
	site    *httptest.Server
	dir     string // the digest's Markdown folder
	b       *digest.Builder
	p       *publisher.Publisher
	release chan struct{}
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	d := &desk{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "db"), dir: t.TempDir(),
		clock: &clock{now: time.Date(2016, 6, 29, 12, 0, 0, 0, time.UTC)}, release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Page title | Site</title>
<meta property="og:title" content="Kubernetes 1.3：从零到一">
<meta name="description" content="plain description">
<meta property="og:description" content="Kubernetes 1.3 的新特性。&lt;b&gt;粗体&lt;/b&gt;不是标记。">
</head><body><p>body</p></body></html>`)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select { // never answers while the test runs
		case <-d.release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><head><title>ok</title></head></html>")
	})
	d.site = httptest.NewServer(mux)
	t.Cleanup(d.site.Close)
	t.Cleanup(func() { close(d.release) }) // runs before the server closes
	d.open()
	var err error
	d.srcs, err = d.db.SyncSources(d.ctx, []feeds.Source{
		{Name: "InfoQ 中文", ConfigURL: "https://www.infoq.cn/feed"},
		{Name: "Kubernetes Blog", ConfigURL: "https://kubernetes.io/feed.xml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// open opens the store and builds the stages on it.
func (d *desk) open() {
	d.t.Helper()
	db, err := sqlite.Open(d.ctx, d.path)
	if err != nil {
		d.t.Fatal(err)
	}
	d.db = db
	d.t.Cleanup(func() { db.Close() })
	o := digest.DefaultOptions()
	o.Sections = deskSections
	o.Dir = d.dir
	o.Now = d.clock.Now
	o.HTTPClient = aggregator.NewHTTPClient(aggregator.Options{})
	o.CheckTimeout = time.Second // the slow page never answers: no race with it
	o.TitleKey = curator.TitleKey
	d.b = digest.New(db, o, zerolog.New(zerolog.NewTestWriter(d.t)))
	d.p = publisher.New(db, publisher.Options{
		BaseURL: "https://news.example.com", Title: "一周业内技术动态", Lang: "zh-CN", Sections: deskSections,
		Now: d.clock.Now, Digest: d.b,
	}, zerolog.New(zerolog.NewTestWriter(d.t)))
}

// restart closes the store and opens it again, with new stages.
func (d *desk) restart() {
	d.t.Helper()
	if err := d.db.Close(); err != nil {
		d.t.Fatal(err)
	}
	d.open()
}

// item is an item to store: published at, in source src, classified into
// section with score.
type item struct {
	src       int
	key       string
	title     string
	summary   string
	link      string
	at        time.Time
	section   string
	score     float64
	canonical bool // give the classification its canonical URL (a near-duplicate key)
}

// add stores items and classifies them under rules version v, returning
// their IDs.
func (d *desk) add(v string, its ...item) []int64 {
	d.t.Helper()
	var ids []int64
	for _, it := range its {
		link := it.link
		if link == "" {
			link = "https://example.cn/" + it.key
		}
		fi := feeds.Item{GUID: it.key, Link: link, Title: it.title, Summary: it.summary, Published: it.at}
		if _, err := d.db.SaveFetch(d.ctx, d.srcs[it.src].ID, feeds.FetchState{URL: d.srcs[it.src].ConfigURL}, []feeds.Item{fi}, it.at.Add(time.Hour)); err != nil {
			d.t.Fatal(err)
		}
		stored, err := d.db.ListItems(d.ctx, sqlite.ItemFilter{Unpublished: true, Limit: 1000})
		if err != nil {
			d.t.Fatal(err)
		}
		for _, s := range stored {
			if s.GUID == it.key {
				c := feeds.Classification{ItemID: s.ID, Section: it.section, Score: it.score, TitleKey: curator.TitleKey(it.title)}
				if it.canonical {
					c.CanonicalURL = feeds.CanonicalURL(link)
				}
				if _, err := d.db.SetSections(d.ctx, v, []feeds.Classification{c}); err != nil {
					d.t.Fatal(err)
				}
				ids = append(ids, s.ID)
			}
		}
	}
	return ids
}

// files are what the world sees of an issue.
type files struct {
	md, page, pageMD, feed, static, staticMD []byte
}

func (d *desk) files(w feeds.Week, static string) files {
	d.t.Helper()
	var f files
	var err error
	is, err := d.b.Build(d.ctx, w)
	if err != nil {
		d.t.Fatal(err)
	}
	name, err := d.b.FileName(is)
	if err != nil {
		d.t.Fatal(err)
	}
	if f.md, err = os.ReadFile(filepath.Join(d.dir, name)); err != nil {
		d.t.Fatal(err)
	}
	page, err := d.p.DigestPage(d.ctx, w, "html")
	if err != nil {
		d.t.Fatal(err)
	}
	f.page = page.Body
	pageMD, err := d.p.DigestPage(d.ctx, w, "md")
	if err != nil {
		d.t.Fatal(err)
	}
	f.pageMD = pageMD.Body
	feed, err := d.p.Feed(d.ctx, publisher.DigestView, "atom", feeds.Cursor{})
	if err != nil {
		d.t.Fatal(err)
	}
	f.feed = feed.Body
	if err := d.p.WriteStatic(d.ctx, static); err != nil {
		d.t.Fatal(err)
	}
	if f.static, err = os.ReadFile(filepath.Join(static, "digest", w.String()+".html")); err != nil {
		d.t.Fatal(err)
	}
	if f.staticMD, err = os.ReadFile(filepath.Join(static, "digest", w.String()+".md")); err != nil {
		d.t.Fatal(err)
	}
	return f
}

var entryRE = regexp.MustCompile(`(?s)<entry[ >].*?</entry>`)

// feedEntry returns the digest feed's entry of week w.
func feedEntry(t *testing.T, feed []byte, w feeds.Week) string {
	t.Helper()
	for _, e := range entryRE.FindAll(feed, -1) {
		if bytes.Contains(e, []byte(":digest/"+w.String()+"</id>")) {
			return string(e)
		}
	}
	t.Fatalf("no entry of %s in the digest feed:\n%s", w, feed)
	return ""
}

var updatedRE = regexp.MustCompile(`<updated>([^<]*)</updated>`)

func titles(is *feeds.Issue) map[string][]string {
	out := map[string][]string{}
	for _, s := range is.Sections {
		for _, e := range s.Items {
			out[s.ID] = append(out[s.ID], e.Title)
		}
	}
	return out
}

// itemsOnly hides a store's issues: the digest built from the items.
type itemsOnly struct{ digest.Store }

// TestIssueLifecycle follows one issue from its draft to a correction: the
// draft holds today's digest, the editor's changes show in the preview,
// the check finds every kind of problem, and once published the issue's
// files (Markdown, digest page, digest feed entry, static copy) stay
// byte-identical through late items, a restart and a change of rules; a
// re-publish changes that issue's entry alone.
func TestIssueLifecycle(t *testing.T) {
	d := newDesk(t)
	ctx := d.ctx
	w25, w26 := feeds.Week{Year: 2016, Week: 25}, feeds.Week{Year: 2016, Week: 26}
	mon25, mon26 := w25.Start(time.UTC), w26.Start(time.UTC)
	featuredLink := d.site.URL + "/featured"

	// Week 25, published first: its one article comes back in week 26.
	d.add("v1", item{src: 0, key: "old", title: "去年的文章：容器网络的七种方案", summary: "旧文。", link: featuredLink,
		at: mon25.Add(30 * time.Hour), section: "cloud", score: 1, canonical: true})
	d.clock.Set(mon26.Add(10 * time.Hour)) // week 25's issue is due
	if _, err := d.b.Publish(ctx, w25); err != nil {
		t.Fatal(err)
	}

	// Week 26's candidates.
	ids := d.add("v1",
		item{src: 0, key: "a", title: "浅谈Docker安全：技术、生态和最新的安全特性", summary: "本文介绍docker安全。后面还有。", at: mon26.Add(2 * time.Hour), section: "cloud", score: 3},
		item{src: 1, key: "b", title: "深度解读Weaveworks的容器网络方案", summary: "Weave Net是容器网络方案。", at: mon26.Add(4 * time.Hour), section: "cloud", score: 5},
		item{src: 0, key: "c", title: "Mesos 1.0 发布了什么新东西", summary: "", at: mon26.Add(6 * time.Hour), section: "cloud", score: 1},
		item{src: 1, key: "d", title: "Spark 2.0 的结构化流处理", summary: "结构化流。", at: mon26.Add(8 * time.Hour), section: "bigdata", score: 2,
			link: d.site.URL + "/gone"},
		item{src: 0, key: "e", title: "Flink 与 Storm 的流处理对比评测", summary: "对比。", at: mon26.Add(9 * time.Hour), section: "bigdata", score: 1,
			link: d.site.URL + "/dup", canonical: true},
	)
	a, bb, c, dd, e := ids[0], ids[1], ids[2], ids[3], ids[4]
	d.clock.Set(mon26.Add(50 * time.Hour)) // mid-week: the editor opens the draft

	legacy, err := digest.New(itemsOnly{d.db}, d.b.Options(), zerolog.Nop()).Build(ctx, w26)
	if err != nil {
		t.Fatal(err)
	}
	preview, err := d.b.Preview(ctx, w26)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := titles(preview), titles(legacy); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("a new draft shows\n%v\nthe digest of the items shows\n%v", got, want)
	}
	ed, err := d.b.Draft(ctx, w26)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(ed *feeds.EditedIssue, itemID int64) *feeds.IssueEntry {
		t.Helper()
		for i := range ed.Entries {
			if ed.Entries[i].ItemID == itemID {
				return &ed.Entries[i]
			}
		}
		t.Fatalf("item %d is not in the issue: %+v", itemID, ed.Entries)
		return nil
	}
	for _, x := range ed.Entries {
		if x.State != feeds.EntryAccepted || x.RulesSection != x.Section {
			t.Errorf("new draft entry %+v: want accepted in the rules' section", x)
		}
	}

	// The editor's changes.
	now := d.clock.Now()
	eA, eB, eC, eD := entry(ed, a).ID, entry(ed, bb).ID, entry(ed, c).ID, entry(ed, dd).ID
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.db.SetEntryState(ctx, w26, eC, feeds.EntryRejected, now))
	must(d.db.MoveEntry(ctx, w26, eB, "bigdata", 1, now))
	must(d.db.OrderSection(ctx, w26, "bigdata", []int64{entry(ed, e).ID, eB}, now))
	summary := "编辑写的要点：Docker 安全三件事。"
	must(d.db.SetEntrySummary(ctx, w26, eA, &summary, now))
	must(d.db.SetEntryNote(ctx, w26, eA, "值得一读。", now))
	must(d.db.SetIssueNote(ctx, w26, "本周容器安全专题。", now))
	must(d.db.SetEntryRelated(ctx, w26, eA, []feeds.RelatedLink{{ItemID: bb}, {URL: d.site.URL + "/slow", Title: "慢的页面"}}, now))
	pageEntry, err := d.b.AddURL(ctx, w26, "cloud", d.site.URL+"/page")
	must(err)
	_, err = d.b.AddURL(ctx, w26, "cloud", featuredLink+"?utm_source=weibo")
	must(err)
	_, err = d.b.AddURL(ctx, w26, "bigdata", d.site.URL+"/dup?utm_medium=x")
	must(err)
	if err := d.db.SetEntryState(ctx, w26, eD, "maybe", now); err == nil {
		t.Error("an unknown state was accepted")
	}

	preview, err = d.b.Preview(ctx, w26)
	must(err)
	got := fmt.Sprint(titles(preview))
	want := fmt.Sprint(map[string][]string{
		"cloud":   {"浅谈Docker安全：技术、生态和最新的安全特性", "Kubernetes 1.3：从零到一", "ok"},
		"bigdata": {"Flink 与 Storm 的流处理对比评测", "深度解读Weaveworks的容器网络方案", "Spark 2.0 的结构化流处理", "ok"},
	})
	if got != want {
		t.Errorf("preview after the edits\n%s\nwant\n%s", got, want)
	}
	first := preview.Sections[0].Items[0]
	if first.Summary != summary || first.Note != "值得一读。" || len(first.Related) != 2 ||
		first.Related[0].Title != "深度解读Weaveworks的容器网络方案" || preview.Note != "本周容器安全专题。" {
		t.Errorf("edited item %+v, issue note %q", first, preview.Note)
	}
	if p := preview.Sections[0].Items[1]; p.Summary != "Kubernetes 1.3 的新特性。<b>粗体</b>不是标记。" {
		t.Errorf("added URL's 要点 %q", p.Summary)
	}
	ed, err = d.b.Draft(ctx, w26)
	must(err)
	if x := ed.Entry(pageEntry); x == nil || x.ItemID != 0 || x.Title != "Kubernetes 1.3：从零到一" {
		t.Errorf("added URL's entry %+v", x)
	}

	// The editor's moves and rejections are there for the curator to learn from.
	decisions, err := d.db.EditorDecisions(ctx, time.Time{})
	must(err)
	var learned []string
	for _, x := range decisions {
		learned = append(learned, fmt.Sprintf("%d %s %s->%s", x.ItemID, x.State, x.RulesSection, x.Section))
	}
	if w := []string{fmt.Sprintf("%d rejected cloud->cloud", c), fmt.Sprintf("%d accepted cloud->bigdata", bb)}; !sameSet(learned, w) {
		t.Errorf("editor decisions %q, want %q", learned, w)
	}

	// Check finds every kind of problem.
	problems, err := d.b.Check(ctx, w26)
	must(err)
	kinds := map[digest.ProblemKind][]string{}
	for _, p := range problems {
		kinds[p.Kind] = append(kinds[p.Kind], p.Message)
	}
	for _, k := range []digest.ProblemKind{digest.EmptySection, digest.NoSummary, digest.DeadLink, digest.FeaturedBefore, digest.DuplicateEntry} {
		if len(kinds[k]) == 0 {
			t.Errorf("check found no %s; it found %q", k, kinds)
		}
	}
	if dead := strings.Join(kinds[digest.DeadLink], "\n"); !strings.Contains(dead, "/gone") || !strings.Contains(dead, "/slow") {
		t.Errorf("dead links found: %s", dead)
	}
	if f := strings.Join(kinds[digest.FeaturedBefore], "\n"); !strings.Contains(f, w25.String()) {
		t.Errorf("featured before: %s", f)
	}

	// Publish; the issue is due.
	d.clock.Set(w26.Next().Start(time.UTC).Add(10 * time.Hour))
	is, err := d.b.Publish(ctx, w26)
	must(err)
	if is.Revision != 1 || !bytes.Contains(is.Markdown, []byte("推荐阅读：[深度解读Weaveworks的容器网络方案][post-link-1.1.2]")) ||
		!bytes.Contains(is.Markdown, []byte("> 编者按: 本周容器安全专题。")) {
		t.Errorf("published revision %d:\n%s", is.Revision, is.Markdown)
	}
	before := d.files(w26, t.TempDir())
	if !bytes.Equal(before.md, before.pageMD) || !bytes.Equal(before.md, before.staticMD) || !bytes.Equal(before.md, is.Markdown) {
		t.Errorf("the Markdown file, the served and the static Markdown differ")
	}
	entry25 := feedEntry(t, before.feed, w25)

	// Late items arrive, the store is reopened, the rules change.
	d.clock.Add(time.Hour)
	late := d.add("v1", item{src: 1, key: "late", title: "周日才到的重要文章：容器编排大比拼", summary: "迟到。",
		at: mon26.Add(6 * 24 * time.Hour), section: "cloud", score: 9})
	ed, err = d.b.Draft(ctx, w26)
	must(err)
	if x := entry(ed, late[0]); x.State != feeds.EntryLater {
		t.Errorf("a late item entered as %s", x.State)
	}
	d.restart()
	all, err := d.db.ListItems(ctx, sqlite.ItemFilter{Unpublished: true, Limit: 1000})
	must(err)
	var cs []feeds.Classification
	for _, it := range all {
		cs = append(cs, feeds.Classification{ItemID: it.ID, Section: "security", Score: 10})
	}
	_, err = d.db.SetSections(ctx, "v2", cs)
	must(err)
	d.clock.Add(time.Hour)
	if _, err := d.b.PublishDue(ctx, feeds.Week{}); err != nil {
		t.Fatal(err)
	}
	after := d.files(w26, t.TempDir())
	for _, x := range []struct {
		name      string
		got, want []byte
	}{{"Markdown file", after.md, before.md}, {"digest page", after.page, before.page}, {"served Markdown", after.pageMD, before.pageMD},
		{"static page", after.static, before.static}, {"static Markdown", after.staticMD, before.staticMD}} {
		if !bytes.Equal(x.got, x.want) {
			t.Errorf("%s changed by itself:\n%s\nwas\n%s", x.name, x.got, x.want)
		}
	}
	if got, want := feedEntry(t, after.feed, w26), feedEntry(t, before.feed, w26); got != want {
		t.Errorf("digest feed entry changed by itself:\n%s\nwas\n%s", got, want)
	}

	// A correction: re-published, its entry alone changes.
	summary = "更正后的要点。"
	must(d.db.SetEntrySummary(ctx, w26, eA, &summary, d.clock.Now()))
	if after2 := d.files(w26, t.TempDir()); !bytes.Equal(after2.md, before.md) || !bytes.Equal(after2.page, before.page) {
		t.Error("an edit after publication changed the published issue before a re-publish")
	}
	is, err = d.b.Publish(ctx, w26)
	must(err)
	if is.Revision != 2 {
		t.Errorf("re-published revision %d, want 2", is.Revision)
	}
	fixed := d.files(w26, t.TempDir())
	if !bytes.Contains(fixed.md, []byte("更正后的要点。")) || !bytes.Contains(fixed.page, []byte("更正后的要点。")) {
		t.Errorf("the correction is not in the files:\n%s", fixed.md)
	}
	if got := feedEntry(t, fixed.feed, w25); got != entry25 {
		t.Errorf("the correction of %s changed %s's entry:\n%s\nwas\n%s", w26, w25, got, entry25)
	}
	old, now26 := updatedRE.FindStringSubmatch(feedEntry(t, before.feed, w26)), updatedRE.FindStringSubmatch(feedEntry(t, fixed.feed, w26))
	if old == nil || now26 == nil || old[1] >= now26[1] {
		t.Errorf("the corrected entry's <updated> went from %v to %v", old, now26)
	}
	if bytes.Contains(fixed.md, []byte("周日才到的重要文章")) {
		t.Error("a later entry was published")
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestIssueAutoPublish: the schedule publishes the draft as it stands, and
// leaves alone one whose auto-publish the editor turned off.
func TestIssueAutoPublish(t *testing.T) {
	d := newDesk(t)
	ctx := d.ctx
	w := feeds.Week{Year: 2016, Week: 26}
	ids := d.add("v1",
		item{src: 0, key: "a", title: "浅谈Docker安全：技术、生态和最新的安全特性", summary: "要点一。", at: w.Start(time.UTC).Add(time.Hour), section: "cloud", score: 2},
		item{src: 1, key: "b", title: "深度解读Weaveworks的容器网络方案", summary: "要点二。", at: w.Start(time.UTC).Add(2 * time.Hour), section: "cloud", score: 1})
	d.clock.Set(w.Start(time.UTC).Add(50 * time.Hour))
	ed, err := d.b.Draft(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	var eB int64
	for _, e := range ed.Entries {
		if e.ItemID == ids[1] {
			eB = e.ID
		}
	}
	if err := d.db.SetEntryState(ctx, w, eB, feeds.EntryRejected, d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := d.db.SetAutoPublish(ctx, w, false, d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	d.clock.Set(w.Next().Start(time.UTC).Add(10 * time.Hour)) // due
	done, err := d.b.PublishDue(ctx, feeds.Week{})
	if err != nil || done == w {
		t.Fatalf("PublishDue with auto-publish off: %v, %v", done, err)
	}
	if _, err := d.b.Issue(ctx, w); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("a held draft is public: %v", err)
	}
	if entries, _ := os.ReadDir(d.dir); len(entries) != 0 {
		t.Errorf("a held draft was written: %v", entries)
	}
	if err := d.db.SetAutoPublish(ctx, w, true, d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if done, err := d.b.PublishDue(ctx, feeds.Week{}); err != nil || done != w {
		t.Fatalf("PublishDue: %v, %v", done, err)
	}
	is, err := d.b.Issue(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if is.Revision != 1 || is.Len() != 1 || is.Sections[0].Items[0].Title != "浅谈Docker安全：技术、生态和最新的安全特性" {
		t.Errorf("the schedule published revision %d with %v", is.Revision, titles(is))
	}
	// A week the editor never opened is published as today's digest.
	w2 := w.Next()
	d.add("v1", item{src: 0, key: "c", title: "Mesos 1.0 发布了什么新东西", summary: "要点三。", at: w2.Start(time.UTC).Add(time.Hour), section: "cloud", score: 1})
	d.clock.Set(w2.Next().Start(time.UTC).Add(10 * time.Hour))
	if done, err := d.b.PublishDue(ctx, w); err != nil || done != w2 {
		t.Fatalf("PublishDue of %s: %v, %v", w2, done, err)
	}
	if is, err := d.b.Issue(ctx, w2); err != nil || is.Revision != 1 || is.Len() != 1 {
		t.Errorf("unopened week published as %+v, %v", is, err)
	}
}

// TestAddURLPrivate: with the sources' private-address guard on, adding a
// URL on loopback is refused, and nothing is added.
func TestAddURLPrivate(t *testing.T) {
	d := newDesk(t)
	o := d.b.Options()
	o.HTTPClient = aggregator.NewHTTPClient(aggregator.Options{DenyPrivate: true})
	b := digest.New(d.db, o, zerolog.Nop())
	w := feeds.Week{Year: 2016, Week: 26}
	_, err := b.AddURL(d.ctx, w, "cloud", d.site.URL+"/page")
	if !errors.Is(err, aggregator.ErrPrivateAddress) {
		t.Fatalf("AddURL of a loopback page with deny_private: %v", err)
	}
	if ed, err := d.db.EditedIssue(d.ctx, w); err == nil && len(ed.Entries) != 0 {
		t.Errorf("entries after a refused add: %+v", ed.Entries)
	}
	if _, err := b.AddURL(d.ctx, w, "nosuch", "https://example.com/"); err == nil {
		t.Error("AddURL into an unknown section succeeded")
	}
}

// TestAddURLHostile: what an added page says of itself is text: neither
// its title nor its description runs as script on the digest page, nor as
// Liquid or markup in the Markdown.
func TestAddURLHostile(t *testing.T) {
	d := newDesk(t)
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><head><title>{{ site.title }}<script>alert(1)</script></title>
<meta name="description" content="{% include x %} <img src=x onerror=alert(2)> [click](javascript:alert(3))"></head></html>`)
	}))
	t.Cleanup(hostile.Close)
	w := feeds.Week{Year: 2016, Week: 26}
	if _, err := d.b.AddURL(d.ctx, w, "cloud", hostile.URL+"/"); err != nil {
		t.Fatal(err)
	}
	d.clock.Set(w.Next().Start(time.UTC).Add(10 * time.Hour))
	is, err := d.b.Publish(d.ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	page, err := d.p.DigestPage(d.ctx, w, "html")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>alert", "<img"} {
		if bytes.Contains(page.Body, []byte(bad)) {
			t.Errorf("digest page holds %q:\n%s", bad, page.Body)
		}
	}
	for _, bad := range []string{"{{", "{%"} {
		if bytes.Contains(is.Markdown, []byte(bad)) {
			t.Errorf("Markdown holds Liquid %q:\n%s", bad, is.Markdown)
		}
	}
	// In the lines a page wrote (title, 要点) every markup character is
	// backslash-escaped.
	for _, line := range strings.Split(string(is.Markdown), "\n") {
		if !strings.HasPrefix(line, "#### ") && !strings.HasPrefix(line, "> 要点") {
			continue
		}
		for i := 1; i < len(line); i++ {
			if strings.ContainsRune("<>[]", rune(line[i])) && line[i-1] != '\\' {
				t.Errorf("unescaped %q at %d of Markdown line %q", line[i], i, line)
			}
		}
	}
}
