package feeds_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/testutil"
)

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got, *update)
}

// pagedDigest is digestDocument with a hub and RFC 5005 paging links.
func pagedDigest() *feeds.Document {
	d := digestDocument()
	d.Links = append(d.Links,
		feeds.Link{Rel: "hub", Href: "https://hub.example.org/"},
		feeds.Link{Rel: "first", Href: "http://127.0.0.1:8080/feed.atom", Type: "application/atom+xml"},
		feeds.Link{Rel: "next", Href: "http://127.0.0.1:8080/feed.atom?before=1-2", Type: "application/atom+xml"},
	)
	return d
}

func TestWriteRSS(t *testing.T) {
	var buf bytes.Buffer
	if err := feeds.WriteRSS(&buf, pagedDigest()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "digest.rss.golden", buf.Bytes())

	// What we write, we read back: titles, links, guids, dates, authors.
	doc := digestDocument()
	f, err := feeds.Parse(bytes.NewReader(buf.Bytes()), "http://127.0.0.1:8080/feed.rss", "application/rss+xml")
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != doc.Title || f.Link != "http://127.0.0.1:8080/" || f.Language != "zh-CN" {
		t.Errorf("channel %q %q %q", f.Title, f.Link, f.Language)
	}
	if len(f.Items) != len(doc.Entries) {
		t.Fatalf("%d items, want %d", len(f.Items), len(doc.Entries))
	}
	for i, e := range doc.Entries {
		it := f.Items[i]
		author := e.Author
		if author == "" {
			author = e.Source.Title
		}
		if it.GUID != e.ID || it.Title != e.Title || it.Link != e.Link || it.Author != author || !it.Published.Equal(e.Published) {
			t.Errorf("item %d: %+v\nwant %+v", i, it, e)
		}
		wantSummary := e.Summary
		if wantSummary == "" {
			wantSummary = e.Content
		}
		if it.Summary != wantSummary {
			t.Errorf("item %d: description %q, want %q", i, it.Summary, wantSummary)
		}
	}
	if !bytes.Contains(buf.Bytes(), []byte(`<atom:link href="https://hub.example.org/" rel="hub"></atom:link>`)) ||
		!bytes.Contains(buf.Bytes(), []byte(`rel="next" type="application/rss+xml"`)) {
		t.Error("hub or paging links missing")
	}
}

func TestWriteJSONFeed(t *testing.T) {
	var buf bytes.Buffer
	if err := feeds.WriteJSONFeed(&buf, pagedDigest()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "digest.json.golden", buf.Bytes())

	var f struct {
		Version, Title, HomePageURL, FeedURL, NextURL, Language string
		Hubs                                                    []struct{ Type, URL string }
		Items                                                   []map[string]any
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(buf.Bytes(), &raw)
	if raw["version"] != feeds.JSONFeedVersion || raw["home_page_url"] != "http://127.0.0.1:8080/" ||
		raw["feed_url"] != "http://127.0.0.1:8080/feed.atom" || raw["next_url"] != "http://127.0.0.1:8080/feed.atom?before=1-2" {
		t.Errorf("top level %v", raw)
	}
	items := raw["items"].([]any)
	// The linkless entry has its summary as content; the one with content
	// has both; plain-text summaries.
	last := items[3].(map[string]any)
	if last["content_html"] == nil || last["url"] != nil {
		t.Errorf("linkless item %v", last)
	}
	second := items[1].(map[string]any)
	if second["content_html"] != "<p>Full text &amp; diagrams.</p>" ||
		second["summary"] != "All components but the kubelet run in containers; a load balancer fronts the masters." {
		t.Errorf("item 2: %v", second)
	}
	empty := &feeds.Document{Title: "t", Entries: []feeds.Entry{{ID: "x", Title: "only a title"}}}
	buf.Reset()
	if err := feeds.WriteJSONFeed(&buf, empty); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"content_text": "only a title"`)) {
		t.Errorf("an item without HTML needs content_text:\n%s", buf.Bytes())
	}
}

func TestOPMLRoundTrip(t *testing.T) {
	in := &feeds.OPML{
		Title:   "一周业内技术动态",
		Created: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
		Sources: []feeds.Source{
			{Name: "InfoQ 中文", ConfigURL: "https://www.infoq.cn/feed", Tags: []string{"zh"},
				State: feeds.FetchState{FeedLink: "https://www.infoq.cn/", FeedLang: "zh-CN"}},
			{Name: "R&D <Notes> \"quoted\"", ConfigURL: "https://example.com/feed?a=1&b=2", Tags: []string{"en", "paas"}},
			{ConfigURL: "https://nameless.example/rss", State: feeds.FetchState{FeedTitle: "Nameless"}},
		},
	}
	var buf bytes.Buffer
	if err := feeds.WriteOPML(&buf, in); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "sources.opml.golden", buf.Bytes())
	out, err := feeds.ReadOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if out.Title != in.Title || !out.Created.Equal(in.Created) || len(out.Sources) != 3 {
		t.Fatalf("read back %+v", out)
	}
	for i, s := range in.Sources {
		got := out.Sources[i]
		name := s.Name
		if name == "" {
			name = s.State.FeedTitle
		}
		if got.Name != name || got.ConfigURL != s.ConfigURL || !slices.Equal(got.Tags, s.Tags) ||
			got.State.FeedLink != s.State.FeedLink || got.State.FeedLang != s.State.FeedLang || got.State.URL != s.ConfigURL {
			t.Errorf("source %d: %+v, want %+v", i, got, s)
		}
	}
}

func TestReadOPML(t *testing.T) {
	// Folders, OPML 1.0, categories as paths, duplicates, a feed nested in
	// a feed, broken URLs, and what other readers export.
	const doc = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions</title><dateCreated>Mon, 27 Jun 2016 09:00:00 GMT</dateCreated></head>
  <body>
    <outline text="容器" title="容器">
      <outline type="rss" text="Docker Blog" xmlUrl="https://www.docker.com/blog/feed/" htmlUrl="https://www.docker.com/blog/"/>
      <outline text="Kubernetes">
        <outline type="rss" title="Kubernetes Blog" xmlUrl=" https://kubernetes.io/feed.xml " category="/Tech/Cloud,paas"/>
      </outline>
    </outline>
    <outline type="rss" text="Docker Blog again" xmlUrl="https://www.docker.com/blog/feed/" category="en"/>
    <outline type="rss" text="no name" xmlUrl="https://nameless.example/rss">
      <outline type="rss" text="nested" xmlUrl="https://nested.example/atom"/>
    </outline>
    <outline type="rss" text="bad" xmlUrl="feed://old.example/rss"/>
    <outline type="rss" text="relative" xmlUrl="/feed.xml"/>
    <outline text="empty folder"/>
  </body>
</opml>`
	o, err := feeds.ReadOPML(strings.NewReader(doc))
	if err == nil || !strings.Contains(err.Error(), "feed://old.example/rss") || !strings.Contains(err.Error(), "/feed.xml") {
		t.Errorf("error %v, want the two bad URLs reported", err)
	}
	if o == nil {
		t.Fatal("no sources read")
	}
	type src struct {
		name, url string
		tags      []string
	}
	want := []src{
		{"Docker Blog", "https://www.docker.com/blog/feed/", []string{"容器", "en"}},
		{"Kubernetes Blog", "https://kubernetes.io/feed.xml", []string{"Cloud", "paas", "容器", "Kubernetes"}},
		{"no name", "https://nameless.example/rss", nil},
		{"nested", "https://nested.example/atom", nil},
	}
	if len(o.Sources) != len(want) {
		t.Fatalf("%d sources: %+v", len(o.Sources), o.Sources)
	}
	for i, w := range want {
		got := o.Sources[i]
		if got.Name != w.name || got.ConfigURL != w.url || !slices.Equal(got.Tags, w.tags) {
			t.Errorf("source %d: %q %q %q, want %+v", i, got.Name, got.ConfigURL, got.Tags, w)
		}
	}
	if o.Sources[0].State.FeedLink != "https://www.docker.com/blog/" || o.Created.IsZero() {
		t.Errorf("htmlUrl %q, created %v", o.Sources[0].State.FeedLink, o.Created)
	}

	// Another encoding, named in the declaration.
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(`<?xml version="1.0" encoding="GBK"?>
<opml version="2.0"><head><title>订阅</title></head><body><outline text="阮一峰的网络日志" xmlUrl="https://www.ruanyifeng.com/blog/atom.xml"/></body></opml>`)
	if err != nil {
		t.Fatal(err)
	}
	o, err = feeds.ReadOPML(strings.NewReader(gbk))
	if err != nil || o.Title != "订阅" || len(o.Sources) != 1 || o.Sources[0].Name != "阮一峰的网络日志" {
		t.Errorf("GBK OPML: %+v, %v", o, err)
	}

	for _, bad := range []string{"", "not xml", `<?xml version="1.0"?><rss version="2.0"><channel/></rss>`, "<opml><body><outline"} {
		if _, err := feeds.ReadOPML(strings.NewReader(bad)); !errors.Is(err, feeds.ErrNotOPML) {
			t.Errorf("ReadOPML(%.20q) = %v, want ErrNotOPML", bad, err)
		}
	}
}

func TestPlainText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"plain  text\n here", "plain text here"},
		{"<p>Hello <b>world</b></p><p>Again</p>", "Hello world Again"},
		{"<p>第一段。</p>\n<p>第二段。</p>", "第一段。第二段。"},
		{"中文 中文", "中文中文"},
		{"Docker 容器", "Docker 容器"},
		{"AT&amp;T &lt;tag&gt; &#x4e2d;", "AT&T <tag> 中"},
		{`<script>alert("x")</script>text<style>p{}</style>`, "text"},
		{`<img src="a.png" alt="diagram"> below`, "diagram below"},
		{"line<br>break", "line break"},
		{"<p>unclosed <b>bold", "unclosed bold"},
		{"a\u00a0b\u200bc", "a b c"},
		{"<svg><text>hidden</text></svg>shown", "shown"},
	} {
		if got := feeds.PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCursor(t *testing.T) {
	c := feeds.Cursor{Time: time.UnixMilli(1467361100123).UTC(), ID: 42}
	if c.String() != "1467361100123-42" {
		t.Errorf("String() = %q", c.String())
	}
	back, err := feeds.ParseCursor(c.String())
	if err != nil || back != c {
		t.Errorf("ParseCursor = %+v, %v", back, err)
	}
	if z, err := feeds.ParseCursor(""); err != nil || !z.IsZero() || z.String() != "" {
		t.Errorf("empty cursor: %+v %v", z, err)
	}
	for _, bad := range []string{"x", "1", "1-", "-1", "1-0", "1--2", "+1-2", "1-+2", "1-2-3", " 1-2", "99999999999999999999-1"} {
		if _, err := feeds.ParseCursor(bad); !errors.Is(err, feeds.ErrBadCursor) {
			t.Errorf("ParseCursor(%q) = %v", bad, err)
		}
	}
	it := feeds.Item{ID: 7, Stored: feeds.Stored{SortTime: time.UnixMilli(5).UTC()}}
	if feeds.CursorOf(&it) != (feeds.Cursor{Time: it.SortTime, ID: 7}) {
		t.Error("CursorOf")
	}
}
