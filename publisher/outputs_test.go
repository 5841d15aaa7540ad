package publisher_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/publisher"
	"github.com/feedcurator/feedcurator/sqlite"
)

// sqliteSite is a real database holding the given sources, each with the
// items mk makes for it, classified round the test sections.
func sqliteSite(t *testing.T, sources []feeds.Source, links []string, mk func(src int) []feeds.Item) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srcs, err := db.SyncSources(ctx, sources)
	if err != nil {
		t.Fatal(err)
	}
	fetchedAt := time.Date(2016, 7, 4, 0, 0, 0, 0, time.UTC)
	for i, s := range srcs {
		st := feeds.FetchState{URL: s.ConfigURL, LastSuccess: fetchedAt, FeedTitle: "Feed " + s.Name}
		if i < len(links) {
			st.FeedLink = links[i]
		}
		if _, err := db.SaveFetch(ctx, s.ID, st, mk(i), fetchedAt); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := db.ItemsToClassify(ctx, "v1", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var cs []feeds.Classification
	for i, it := range pending {
		cs = append(cs, feeds.Classification{ItemID: it.ID, Section: testSections[i%4].ID, Score: float64(i % 3)})
	}
	if _, err := db.SetSections(ctx, "v1", cs); err != nil {
		t.Fatal(err)
	}
	return db
}

// weekItems are n items of 2016-W26, as source src publishes them.
func weekItems(src, n int) []feeds.Item {
	start := time.Date(2016, 6, 27, 8, 0, 0, 0, shanghai)
	var items []feeds.Item
	for i := 0; i < n; i++ {
		items = append(items, feeds.Item{
			GUID: fmt.Sprintf("s%d-g%d", src, i), Link: fmt.Sprintf("https://example.cn/%d/%d", src, i),
			Title:   fmt.Sprintf("来源%d第%d篇：容器与编排", src, i),
			Summary: fmt.Sprintf("<p>第%d篇的摘要。</p>", i), Published: start.Add(time.Duration(i) * 7 * time.Hour),
		})
	}
	return items
}

// sqliteServer serves a publisher over db at base (srv's address when
// base is "").
func sqliteServer(t *testing.T, db *sqlite.DB, base string, opts func(*publisher.Options)) (*publisher.Publisher, *httptest.Server) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if base == "" {
		base = "http://" + srv.Listener.Addr().String()
	}
	o := publisher.Options{
		BaseURL: base, Title: "一周业内技术动态", Lang: "zh-CN", Sections: testSections,
		Now: func() time.Time { return testNow }, Location: shanghai,
		Digest: digest.New(db, digestOptions(), zerolog.Nop()),
	}
	if opts != nil {
		opts(&o)
	}
	p := publisher.New(db, o, zerolog.New(zerolog.NewTestWriter(t)))
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return p, srv
}

// feedIDs are the document's id and its entries' ids in each format.
func feedIDs(t *testing.T, srvURL, view string) map[string][]string {
	t.Helper()
	ids := map[string][]string{}
	a := parseAtom(t, mustGet(t, srvURL+"/feeds/"+view+".atom"))
	ids["atom"] = append(ids["atom"], a.ID)
	for _, e := range a.Entries {
		ids["atom"] = append(ids["atom"], e.ID)
	}
	r := parseRSS(t, mustGet(t, srvURL+"/feeds/"+view+".rss"))
	for _, it := range r.Channel.Items {
		ids["rss"] = append(ids["rss"], it.GUID)
	}
	j := parseJSON(t, mustGet(t, srvURL+"/feeds/"+view+".json"))
	for _, it := range j.Items {
		ids["json"] = append(ids["json"], it.ID)
	}
	return ids
}

// TestIDsSurviveBaseURLChange: the first run on a store keeps its tag:
// authority (the one ids had before it was kept, so nothing changes for an
// existing site); moving base_url to a real domain, by reload or restart,
// changes no feed or entry id, in any format.
func TestIDsSurviveBaseURLChange(t *testing.T) {
	db := sqliteSite(t, []feeds.Source{
		{Name: "InfoQ 中文", ConfigURL: "https://www.infoq.cn/feed"},
		{Name: "Kubernetes Blog", ConfigURL: "https://kubernetes.io/feed.xml"},
	}, nil, func(src int) []feeds.Item { return weekItems(src, 6) })

	p1, srv1 := sqliteServer(t, db, "http://127.0.0.1:8080", nil)
	before := map[string]map[string][]string{}
	for _, v := range []string{"all", "containers", "digest"} {
		before[v] = feedIDs(t, srv1.URL, v)
	}
	if got := before["all"]["atom"][0]; got != "tag:127.0.0.1,2026:feed/all" {
		t.Errorf("first run: feed id %q, want the one ids had before (tag:127.0.0.1,2026:feed/all)", got)
	}
	if len(before["all"]["atom"]) < 2 || !strings.HasPrefix(before["all"]["atom"][1], "tag:127.0.0.1,2026:item/") {
		t.Fatalf("first run: ids %q", before["all"]["atom"])
	}

	check := func(how, srvURL string) {
		t.Helper()
		for v, want := range before {
			got := feedIDs(t, srvURL, v)
			for _, f := range []string{"atom", "rss", "json"} {
				if !slices.Equal(got[f], want[f]) {
					t.Errorf("%s: %s.%s ids changed:\n got %q\nwant %q", how, v, f, got[f], want[f])
				}
			}
		}
	}
	// A reload with the new base URL.
	o := publisher.Options{
		BaseURL: "https://news.example.com", Title: "一周业内技术动态", Lang: "zh-CN", Sections: testSections,
		Now: func() time.Time { return testNow }, Location: shanghai,
		Digest: digest.New(db, digestOptions(), zerolog.Nop()),
	}
	p1.SetOptions(o)
	reloaded := parseAtom(t, mustGet(t, srv1.URL+"/feeds/all.atom"))
	if self := reloaded.link("self"); self != "https://news.example.com/feeds/all.atom" {
		t.Fatalf("reload did not take the new base URL: self %q", self)
	}
	check("after reload", srv1.URL)
	// A restart: a new publisher on the same store.
	_, srv2 := sqliteServer(t, db, "https://news.example.com", nil)
	check("after restart", srv2.URL)
}

// The secrets of the sources' URLs, which must appear in no output.
var secrets = []string{"s3cretpass", "tok3n-value", "k3y-value", "alice:"}

// TestNoCredentialsPublished: sources whose URLs hold a user and password
// and tokens in the query leak them into no response, body or header: not
// the feeds (Atom <source>, RSS <source url>, JSON _source), the pages, the
// digest, nor /sources.opml. A source with a website is named by it; one
// without, by its redacted URL.
func TestNoCredentialsPublished(t *testing.T) {
	db := sqliteSite(t, []feeds.Source{
		{Name: "私有源", ConfigURL: "https://alice:s3cretpass@feeds.example.net/feed.xml?private_token=tok3n-value"},
		{Name: "Token Feed", ConfigURL: "https://api.example.org/rss?key=k3y-value&lang=zh"},
	}, []string{"https://feeds.example.net/"}, func(src int) []feeds.Item { return weekItems(src, 6) })
	_, srv := sqliteServer(t, db, "", nil)

	urls := []string{srv.URL + "/", srv.URL + "/index.html", srv.URL + "/sources.opml", srv.URL + "/digest/2016-W26.html",
		srv.URL + "/digest/2016-W26.md", srv.URL + "/favicon.ico"}
	for _, v := range append([]string{"all", "digest"}, sectionIDs()...) {
		for _, f := range publisher.Formats {
			urls = append(urls, srv.URL+"/feeds/"+v+"."+f)
		}
		if v != "all" && v != "digest" {
			urls = append(urls, srv.URL+"/sections/"+v+".html")
		}
	}
	for _, u := range urls {
		for _, enc := range []string{"", "gzip"} {
			var hdr []string
			if enc != "" {
				hdr = []string{"Accept-Encoding", enc}
			}
			resp, body := fetch(t, "GET", u, hdr...)
			if resp.StatusCode != 200 {
				t.Errorf("GET %s: status %d", u, resp.StatusCode)
				continue
			}
			if enc != "" {
				continue // the headers are checked below; the body is the same bytes compressed
			}
			for _, s := range secrets {
				if strings.Contains(string(body), s) {
					t.Errorf("GET %s: body holds %q:\n%s", u, s, body)
				}
				for k, vs := range resp.Header {
					for _, v := range vs {
						if strings.Contains(v, s) {
							t.Errorf("GET %s: header %s holds %q: %s", u, k, s, v)
						}
					}
				}
			}
		}
	}

	// The source with a website is named by it; the other keeps its
	// non-secret query, the secret redacted.
	a := parseAtom(t, mustGet(t, srv.URL+"/feeds/all.atom"))
	seen := map[string]bool{}
	for _, e := range a.Entries {
		if e.Source == nil {
			t.Fatalf("%q: no source", e.Title)
		}
		for _, l := range e.Source.Links {
			seen[l.Rel+" "+l.Href] = true
		}
	}
	for _, want := range []string{"alternate https://feeds.example.net/", "self https://api.example.org/rss?key=REDACTED&lang=zh"} {
		if !seen[want] {
			t.Errorf("no source link %q among %v", want, seen)
		}
	}
	if opml := string(mustGet(t, srv.URL+"/sources.opml")); !strings.Contains(opml, `xmlUrl="https://api.example.org/rss?key=REDACTED&amp;lang=zh"`) {
		t.Errorf("opml lacks the redacted URL:\n%s", opml)
	}
}

func sectionIDs() []string {
	var ids []string
	for _, s := range testSections {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestPagingBefore1970: items dated before 1970 (1969, 1900) page like the
// others: every rel="next" link answers, and the pages hold every item once.
func TestPagingBefore1970(t *testing.T) {
	store := newStore()
	store.update(func(m *memStore) {
		for i, at := range []time.Time{
			time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC),
			time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC),
			time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), // a tie
		} {
			id := int64(100 + i)
			m.items = append(m.items, feeds.Item{
				ID: id, SourceID: 1, Key: fmt.Sprintf("guid:old-%d", i), Title: fmt.Sprintf("旧文%d", i),
				Link: fmt.Sprintf("https://old.example/%d", i), Published: at, Stored: feeds.Stored{Section: "misc", SortTime: at, FetchedAt: testNow},
			})
		}
	})
	_, srv := newServer(t, store, func(o *publisher.Options) { o.Items = 2 })
	for _, view := range []string{"all", "misc"} {
		for _, f := range publisher.Formats {
			next := srv.URL + "/feeds/" + view + "." + f
			var got []string
			for pages := 0; next != ""; pages++ {
				if pages > 20 {
					t.Fatalf("%s.%s: paging does not end", view, f)
				}
				resp, body := fetch(t, "GET", next)
				if resp.StatusCode != 200 {
					t.Fatalf("%s.%s: GET %s: status %d: %s", view, f, next, resp.StatusCode, body)
				}
				switch f {
				case "atom":
					d := parseAtom(t, body)
					for _, e := range d.Entries {
						got = append(got, e.Title)
					}
					next = d.link("next")
				case "rss":
					d := parseRSS(t, body)
					for _, it := range d.Channel.Items {
						got = append(got, it.Title)
					}
					next = ""
					for _, l := range d.Channel.Links {
						if l.Rel == "next" {
							next = l.Href
						}
					}
				case "json":
					d := parseJSON(t, body)
					for _, it := range d.Items {
						got = append(got, it.Title)
					}
					next = d.NextURL
				}
			}
			section := view
			if view == "all" {
				section = ""
			}
			if want := wantTitles(store, section); !slices.Equal(got, want) {
				t.Errorf("%s.%s pages hold %q\nwant %q", view, f, got, want)
			}
		}
	}
}

// TestPagingBefore1970SQLite walks the pages of a real store whose items
// date from 1900 to 2016: every rel="next" link answers and the pages hold
// every item once.
func TestPagingBefore1970SQLite(t *testing.T) {
	dates := []time.Time{
		time.Date(2016, 6, 27, 8, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC),
	}
	db := sqliteSite(t, []feeds.Source{{Name: "Archive", ConfigURL: "https://archive.example/feed"}}, nil,
		func(src int) []feeds.Item {
			var items []feeds.Item
			for i, at := range dates {
				items = append(items, feeds.Item{GUID: fmt.Sprintf("old-%d", i), Link: fmt.Sprintf("https://archive.example/%d", i),
					Title: fmt.Sprintf("旧文%d", i), Published: at})
			}
			return items
		})
	_, srv := sqliteServer(t, db, "", func(o *publisher.Options) { o.Items = 2 })
	seen := map[string]int{}
	next := srv.URL + "/feeds/all.atom"
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		resp, body := fetch(t, "GET", next)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d: %s", next, resp.StatusCode, body)
		}
		d := parseAtom(t, body)
		for _, e := range d.Entries {
			seen[e.Title]++
		}
		next = d.link("next")
	}
	if len(seen) != len(dates) {
		t.Errorf("the pages hold %d items, want %d: %v", len(seen), len(dates), seen)
	}
	for title, n := range seen {
		if n != 1 {
			t.Errorf("%s on %d pages", title, n)
		}
	}
}
