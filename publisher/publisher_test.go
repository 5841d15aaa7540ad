package publisher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/publisher"
)

type link struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr"`
}

type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string   `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Links   []link   `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Lang      string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Links     []link `xml:"link"`
		Summary   string `xml:"summary"`
		Content   string `xml:"content"`
		Author    string `xml:"author>name"`
		Category  struct {
			Term   string `xml:"term,attr"`
			Scheme string `xml:"scheme,attr"`
			Label  string `xml:"label,attr"`
		} `xml:"category"`
		Source *struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Links   []link `xml:"link"`
		} `xml:"source"`
	} `xml:"entry"`
}

func (d *atomDoc) link(rel string) string {
	for _, l := range d.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

type rssDoc struct {
	XMLName xml.Name `xml:"rss"`
	Channel struct {
		Title string `xml:"title"`
		// <link> and <atom:link> both: Go matches a tag without a
		// namespace to either.
		AllLinks []struct {
			XMLName xml.Name
			link
			Text string `xml:",chardata"`
		} `xml:"link"`
		Links []link `xml:"-"`
		Link  string `xml:"-"`
		Items []struct {
			Title       string `xml:"title"`
			Link        string `xml:"link"`
			Description string `xml:"description"`
			Content     string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
			Creator     string `xml:"http://purl.org/dc/elements/1.1/ creator"`
			GUID        string `xml:"guid"`
			PubDate     string `xml:"pubDate"`
			Category    string `xml:"category"`
			Source      struct {
				URL   string `xml:"url,attr"`
				Title string `xml:",chardata"`
			} `xml:"source"`
		} `xml:"item"`
	} `xml:"channel"`
}

type jsonDoc struct {
	Version     string `json:"version"`
	Title       string `json:"title"`
	HomePageURL string `json:"home_page_url"`
	FeedURL     string `json:"feed_url"`
	NextURL     string `json:"next_url"`
	Language    string `json:"language"`
	Hubs        []struct {
		Type, URL string
	} `json:"hubs"`
	Items []struct {
		ID            string   `json:"id"`
		URL           string   `json:"url"`
		Title         string   `json:"title"`
		ContentHTML   string   `json:"content_html"`
		ContentText   string   `json:"content_text"`
		Summary       string   `json:"summary"`
		DatePublished string   `json:"date_published"`
		DateModified  string   `json:"date_modified"`
		Tags          []string `json:"tags"`
		Language      string   `json:"language"`
		Authors       []struct {
			Name string `json:"name"`
		} `json:"authors"`
	} `json:"items"`
}

func parseAtom(t testing.TB, body []byte) atomDoc {
	t.Helper()
	var d atomDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		t.Fatalf("not Atom: %v\n%s", err, body)
	}
	return d
}

func parseRSS(t testing.TB, body []byte) rssDoc {
	t.Helper()
	var d rssDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		t.Fatalf("not RSS: %v\n%s", err, body)
	}
	for _, l := range d.Channel.AllLinks {
		if l.XMLName.Space == "http://www.w3.org/2005/Atom" {
			d.Channel.Links = append(d.Channel.Links, l.link)
		} else {
			d.Channel.Link = l.Text
		}
	}
	return d
}

func parseJSON(t testing.TB, body []byte) jsonDoc {
	t.Helper()
	var d jsonDoc
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	return d
}

// wantTitles are the titles each view publishes, newest first.
func wantTitles(store *memStore, section string) []string {
	var out []string
	for _, it := range store.published() {
		if section == "" || it.Section == section {
			title := it.Title
			if it.ID == 12 {
				title = "Kubernetes 1.3: Bridging Cloud Native & Enterprise"
			}
			out = append(out, title)
		}
	}
	return out
}

func TestFeedsEveryViewAndFormat(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)
	for _, view := range []string{"all", "containers", "paas", "industry", "misc"} {
		section := view
		if view == "all" {
			section = ""
		}
		want := wantTitles(store, section)
		self := srv.URL + "/feeds/" + view

		a := parseAtom(t, mustGet(t, self+".atom"))
		var titles []string
		for _, e := range a.Entries {
			titles = append(titles, e.Title)
			if section != "" && e.Category.Term != section {
				t.Errorf("%s.atom holds an entry of %q", view, e.Category.Term)
			}
			if !strings.HasPrefix(e.ID, "tag:127.0.0.1,2026:item/") {
				t.Errorf("entry id %q", e.ID)
			}
			if e.Source == nil || e.Source.Title == "" || !strings.HasPrefix(e.Source.ID, "tag:127.0.0.1,2026:source/") {
				t.Errorf("%q: source %+v", e.Title, e.Source)
			} else if _, err := time.Parse(time.RFC3339, e.Source.Updated); err != nil {
				// The W3C validator: "Missing source element: updated".
				t.Errorf("%q: source updated %q: %v", e.Title, e.Source.Updated, err)
			}
			if e.Category.Scheme != srv.URL+"/sections/" || e.Category.Label == "" {
				t.Errorf("%q: category %+v, want scheme %s/sections/ and a label", e.Title, e.Category, srv.URL)
			}
			if e.Published == "" || e.Updated == "" || e.Author == "" || e.Lang == "" {
				t.Errorf("%q: published %q updated %q author %q lang %q", e.Title, e.Published, e.Updated, e.Author, e.Lang)
			}
		}
		if !slices.Equal(titles, want) {
			t.Errorf("%s.atom titles %q, want %q", view, titles, want)
		}
		if a.link("self") != self+".atom" || a.link("alternate") == "" || a.Lang != "zh-CN" {
			t.Errorf("%s.atom: links %+v lang %q", view, a.Links, a.Lang)
		}

		r := parseRSS(t, mustGet(t, self+".rss"))
		titles = nil
		for _, it := range r.Channel.Items {
			titles = append(titles, it.Title)
			if it.GUID == "" || it.PubDate == "" || it.Creator == "" || it.Source.URL == "" {
				t.Errorf("%s.rss item %+v", view, it)
			}
		}
		if !slices.Equal(titles, want) {
			t.Errorf("%s.rss titles %q, want %q", view, titles, want)
		}
		var rssSelf string
		for _, l := range r.Channel.Links {
			if l.Rel == "self" {
				rssSelf = l.Href
			}
		}
		if rssSelf != self+".rss" {
			t.Errorf("%s.rss self %q", view, rssSelf)
		}

		j := parseJSON(t, mustGet(t, self+".json"))
		titles = nil
		for _, it := range j.Items {
			titles = append(titles, it.Title)
			if it.ID == "" || it.URL == "" || it.ContentHTML == "" || it.DatePublished == "" || len(it.Authors) != 1 {
				t.Errorf("%s.json item %+v", view, it)
			}
		}
		if !slices.Equal(titles, want) {
			t.Errorf("%s.json titles %q, want %q", view, titles, want)
		}
		if j.Version != "https://jsonfeed.org/version/1.1" || j.FeedURL != self+".json" || j.HomePageURL == "" {
			t.Errorf("%s.json: version %q feed_url %q home %q", view, j.Version, j.FeedURL, j.HomePageURL)
		}
	}

	// The same entry has the same id in every format.
	a := parseAtom(t, mustGet(t, srv.URL+"/feeds/all.atom"))
	r := parseRSS(t, mustGet(t, srv.URL+"/feeds/all.rss"))
	j := parseJSON(t, mustGet(t, srv.URL+"/feeds/all.json"))
	for i := range a.Entries {
		if a.Entries[i].ID != r.Channel.Items[i].GUID || a.Entries[i].ID != j.Items[i].ID {
			t.Errorf("entry %d: ids %q %q %q", i, a.Entries[i].ID, r.Channel.Items[i].GUID, j.Items[i].ID)
		}
		// And the same category: the section id as Atom's term and RSS's
		// value, its title as Atom's label and JSON's tag.
		c := a.Entries[i].Category
		if r.Channel.Items[i].Category != c.Term || len(j.Items[i].Tags) != 1 || j.Items[i].Tags[0] != c.Label {
			t.Errorf("entry %d: atom category %+v, rss %q, json tags %q", i, c, r.Channel.Items[i].Category, j.Items[i].Tags)
		}
	}

	for _, bad := range []string{"/feeds/nope.atom", "/feeds/all.xml", "/feeds/all", "/feeds/.atom", "/digest/2016-W26.pdf", "/nope"} {
		if resp, _ := fetch(t, "GET", srv.URL+bad); resp.StatusCode != 404 {
			t.Errorf("GET %s: status %d, want 404", bad, resp.StatusCode)
		}
	}
	if resp, _ := fetch(t, "POST", srv.URL+"/feeds/all.atom"); resp.StatusCode != 405 {
		t.Errorf("POST: status %d, want 405", resp.StatusCode)
	}
}

// TestPaging follows RFC 5005 rel="next" links from the first page to the
// end: every published item once, in order, in every format.
func TestPaging(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, func(o *publisher.Options) { o.Items = 3 })
	want := wantTitles(store, "")
	for _, format := range []string{"atom", "rss", "json"} {
		next := srv.URL + "/feeds/all." + format
		var titles []string
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			body := mustGet(t, next)
			var self, first string
			switch format {
			case "atom":
				d := parseAtom(t, body)
				for _, e := range d.Entries {
					titles = append(titles, e.Title)
				}
				self, first, next = d.link("self"), d.link("first"), d.link("next")
			case "rss":
				d := parseRSS(t, body)
				for _, it := range d.Channel.Items {
					titles = append(titles, it.Title)
				}
				next = ""
				for _, l := range d.Channel.Links {
					switch l.Rel {
					case "self":
						self = l.Href
					case "first":
						first = l.Href
					case "next":
						next = l.Href
					}
				}
			case "json":
				d := parseJSON(t, body)
				for _, it := range d.Items {
					titles = append(titles, it.Title)
				}
				self, first, next = d.FeedURL, srv.URL+"/feeds/all.json", d.NextURL
			}
			if first != srv.URL+"/feeds/all."+format {
				t.Errorf("%s page %d: first %q", format, pages, first)
			}
			if pages > 0 && !strings.Contains(self, "?before=") {
				t.Errorf("%s page %d: self %q is not the page's URL", format, pages, self)
			}
		}
		if !slices.Equal(titles, want) {
			t.Errorf("%s pages hold %q, want %q", format, titles, want)
		}
	}

	// A page is served with a longer max-age; a bad cursor is a 400.
	a := parseAtom(t, mustGet(t, srv.URL+"/feeds/all.atom"))
	resp, _ := fetch(t, "GET", a.link("next"))
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("page Cache-Control %q", cc)
	}
	for _, bad := range []string{"x", "1-", "-1", "1467000000000--5", "1467000000000-0", "+1-2"} {
		if resp, _ := fetch(t, "GET", srv.URL+"/feeds/all.atom?before="+url.QueryEscape(bad)); resp.StatusCode != 400 {
			t.Errorf("before=%s: status %d, want 400", bad, resp.StatusCode)
		}
	}
	// The page of a cursor does not move when new items arrive.
	page := mustGet(t, a.link("next"))
	store.update(func(m *memStore) {
		it := testItems()[0]
		it.ID, it.Key, it.Title, it.SortTime = 100, "guid:new", "新文章", testNow
		m.items = append(m.items, it)
	})
	if again := mustGet(t, a.link("next")); !bytes.Equal(page, again) {
		t.Error("an older page changed when a new item arrived")
	}
	if d := parseAtom(t, mustGet(t, srv.URL+"/feeds/all.atom")); d.Entries[0].Title != "新文章" {
		t.Errorf("first page starts with %q", d.Entries[0].Title)
	}
}

// TestRenderOnce: concurrent requests for a stale view share one render,
// and a slow render of one view does not hold up another.
func TestRenderOnce(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)
	gate := make(chan struct{})
	entered := make(chan string, 100)
	store.mu.Lock()
	store.gate, store.entered = gate, entered
	store.mu.Unlock()

	const n = 20
	var wg sync.WaitGroup
	bodies := make([][]byte, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			bodies[i] = mustGet(t, srv.URL+"/feeds/containers.atom")
		}(i)
	}
	if s := <-entered; s != "containers" {
		t.Fatalf("render of %q", s)
	}
	// While containers is stuck, paas renders.
	store.mu.Lock()
	store.gate = nil
	store.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		mustGet(t, srv.URL+"/feeds/paas.atom")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a render of paas waited for the render of containers")
	}
	<-entered // paas
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	if c := store.Calls("PublishedItems:containers"); c != 1 {
		t.Errorf("%d concurrent requests rendered containers %d times, want once", n, c)
	}
	for _, b := range bodies[1:] {
		if !bytes.Equal(b, bodies[0]) {
			t.Fatal("concurrent requests got different bodies")
		}
	}

	// Until the store changes, no more renders.
	store.mu.Lock()
	store.entered = nil
	store.mu.Unlock()
	for i := 0; i < 5; i++ {
		mustGet(t, srv.URL+"/feeds/containers.atom")
	}
	if c := store.Calls("PublishedItems:containers"); c != 1 {
		t.Errorf("rendered %d times without a change, want once", c)
	}
	store.update(func(*memStore) {})
	mustGet(t, srv.URL+"/feeds/containers.atom")
	if c := store.Calls("PublishedItems:containers"); c != 2 {
		t.Errorf("rendered %d times after a change, want twice", c)
	}

	// A failing store is a 503 that is not cached.
	store.mu.Lock()
	store.err = errStore
	store.mu.Unlock()
	if resp, _ := fetch(t, "GET", srv.URL+"/feeds/misc.atom"); resp.StatusCode != 503 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("failing store: status %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

func TestOPML(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)
	resp, body := fetch(t, "GET", srv.URL+"/sources.opml")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/x-opml") {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	o, err := feeds.ReadOPML(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if o.Title != "一周业内技术动态" || len(o.Sources) != 3 {
		t.Fatalf("read back %+v", o)
	}
	for i, s := range testSources() {
		got := o.Sources[i]
		if got.Name != s.Name || got.ConfigURL != s.ConfigURL || !slices.Equal(got.Tags, s.Tags) || got.State.FeedLink != s.State.FeedLink {
			t.Errorf("source %d: %+v, want %+v", i, got, s)
		}
	}
}

// TestSetOptions drops the cache: a new title shows at once.
func TestSetOptions(t *testing.T) {
	store := newStore()
	p, srv := newServer(t, store, nil)
	mustGet(t, srv.URL+"/feeds/all.atom")
	o := testOptions(t, store, srv.URL)
	o.Title = "新标题"
	o.Sections = append(o.Sections, feeds.Section{ID: "all", Title: "冲突"}, feeds.Section{ID: "a/b", Title: "斜杠"})
	p.SetOptions(o)
	if d := parseAtom(t, mustGet(t, srv.URL+"/feeds/all.atom")); d.Title != "新标题" {
		t.Errorf("title %q after SetOptions", d.Title)
	}
	if got := p.Views(); !slices.Equal(got, []string{"all", "containers", "paas", "industry", "misc", "digest"}) {
		t.Errorf("views %q: a section named all or with a slash must not be a view", got)
	}
	if !p.HasView("digest") || p.HasView("a/b") {
		t.Error("HasView")
	}
	if _, err := p.Feed(context.Background(), "all", "xml", feeds.Cursor{}); err == nil {
		t.Error("Feed in an unknown format")
	}
}
