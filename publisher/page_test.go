package publisher_test

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/feedcurator/feedcurator/publisher"
)

// domOf parses a DOM Chromium dumped.
func domOf(t *testing.T, dom []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// each calls f on every element of n.
func each(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		each(c, f)
	}
}

// TestPageReachesEveryItemInChromium: with fewer items on the page than a
// section holds, the section ends in a link to its own page, whose
// rel="next" links lead, page by page, to every item of the section, as
// Chromium renders them. English items carry lang="en" on the zh-CN page,
// and times show their zone.
func TestPageReachesEveryItemInChromium(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, func(o *publisher.Options) { o.PageItems = 1; o.Items = 3 })
	doc := domOf(t, chromium(t, "--dump-dom", srv.URL+"/"))
	more := map[string]string{}
	var times []string
	each(doc, func(n *html.Node) {
		switch n.Data {
		case "section":
			id := attr(n, "id")
			each(n, func(a *html.Node) {
				if a.Data == "p" && attr(a, "class") == "more" {
					each(a, func(l *html.Node) {
						if l.Data == "a" {
							more[id] = attr(l, "href")
						}
					})
				}
			})
		case "time":
			times = append(times, textOf(n))
		}
	})
	for _, sec := range testSections {
		want := wantTitles(store, sec.ID)
		if len(want) <= 1 {
			if more[sec.ID] != "" {
				t.Errorf("section %s shows all its items yet links to more", sec.ID)
			}
			continue
		}
		if more[sec.ID] == "" {
			t.Errorf("section %s has %d items, shows 1 and links to no more", sec.ID, len(want))
			continue
		}
		var got []string
		next := more[sec.ID]
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatalf("section %s: paging does not end", sec.ID)
			}
			page := domOf(t, chromium(t, "--dump-dom", next))
			next = ""
			each(page, func(n *html.Node) {
				switch {
				case n.Data == "h3":
					got = append(got, strings.TrimSpace(textOf(n)))
				case n.Data == "a" && attr(n, "rel") == "next":
					next = attr(n, "href")
				}
			})
		}
		if !slices.Equal(got, want) {
			t.Errorf("section %s: its pages hold %q\nwant %q", sec.ID, got, want)
		}
	}
	if len(times) == 0 {
		t.Fatal("no times on the page")
	}
	for _, tm := range times {
		if !strings.HasSuffix(tm, " CST") {
			t.Errorf("time %q shows no zone (want e.g. 2016-06-29 15:00 CST)", tm)
		}
	}

	// The English item, on the page of its section, in Chromium.
	page := domOf(t, chromium(t, "--dump-dom", srv.URL+"/sections/paas.html"))
	found := false
	each(page, func(n *html.Node) {
		if n.Data == "h3" && strings.HasPrefix(strings.TrimSpace(textOf(n)), "Kubernetes 1.3") {
			found = true
			if attr(n, "lang") != "en" {
				t.Errorf("English title %q has lang %q, want en", textOf(n), attr(n, "lang"))
			}
		}
		if n.Data == "h3" && strings.HasPrefix(strings.TrimSpace(textOf(n)), "公有云") && attr(n, "lang") != "" {
			t.Errorf("Chinese title %q has lang %q on a zh-CN page", textOf(n), attr(n, "lang"))
		}
	})
	if !found {
		t.Error("the English item is not on its section's page")
	}
}

// TestItemLangGuessed: an item of unknown language whose title is Latin
// letters only is marked English on a Chinese page; a Chinese one is not.
func TestItemLangGuessed(t *testing.T) {
	store := newStore()
	store.update(func(m *memStore) {
		for i := range m.items {
			m.items[i].Lang = ""
		}
	})
	_, srv := newServer(t, store, nil)
	body := string(mustGet(t, srv.URL+"/"))
	if !strings.Contains(body, `<h3 lang="en"><a href="https://kubernetes.io/blog/2016/07/kubernetes-1-3/">Kubernetes 1.3`) {
		t.Errorf("the Latin-only title is not marked lang=\"en\":\n%s", body)
	}
	if strings.Contains(body, `<h3 lang="en"><a href="https://news.example.cn/2016/4.html">`) {
		t.Error("a Chinese title is marked English")
	}
}

// TestFavicon: /favicon.ico is an icon, cached for a week, revalidated by
// its ETag.
func TestFavicon(t *testing.T) {
	_, srv := newServer(t, newStore(), nil)
	resp, body := fetch(t, "GET", srv.URL+"/favicon.ico")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/x-icon" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=604800" {
		t.Errorf("Cache-Control %q", cc)
	}
	// An ICO directory whose first image is a PNG.
	if len(body) < 22 || !bytes.Equal(body[:4], []byte{0, 0, 1, 0}) {
		t.Fatalf("not an ICO file: % x", body[:min(len(body), 16)])
	}
	off := int(body[18]) | int(body[19])<<8 | int(body[20])<<16 | int(body[21])<<24
	if off >= len(body) {
		t.Fatalf("ICO image offset %d past the end (%d bytes)", off, len(body))
	}
	if _, err := png.Decode(bytes.NewReader(body[off:])); err != nil {
		t.Errorf("the icon's first image: %v", err)
	}
	etag := resp.Header.Get("ETag")
	if r2, _ := fetch(t, "GET", srv.URL+"/favicon.ico", "If-None-Match", etag); etag == "" || r2.StatusCode != http.StatusNotModified {
		t.Errorf("ETag %q: revalidation answered %d", etag, r2.StatusCode)
	}
}

// TestOPMLLastModified: /sources.opml has a Last-Modified, the sources'
// last fetch, and answers If-Modified-Since with 304.
func TestOPMLLastModified(t *testing.T) {
	store := newStore()
	fetched := time.Date(2016, 7, 5, 10, 30, 0, 0, time.UTC)
	store.update(func(m *memStore) {
		m.sources[0].State.LastSuccess = fetched.Add(-time.Hour)
		m.sources[1].State.LastSuccess = fetched
	})
	_, srv := newServer(t, store, nil)
	resp, _ := fetch(t, "GET", srv.URL+"/sources.opml")
	lm := resp.Header.Get("Last-Modified")
	if lm != fetched.Format(http.TimeFormat) {
		t.Fatalf("Last-Modified %q, want %q", lm, fetched.Format(http.TimeFormat))
	}
	if r2, _ := fetch(t, "GET", srv.URL+"/sources.opml", "If-Modified-Since", lm); r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: status %d", r2.StatusCode)
	}
}

// TestJSONFeedPlainText: the JSON Feed's title and summary are plain text
// (markup dropped, entities decoded) however the source wrote them, and
// content_html the sanitised HTML.
func TestJSONFeedPlainText(t *testing.T) {
	store := newStore()
	store.update(func(m *memStore) {
		m.items[0].Title = "Ben &amp; Jerry&#39;s <em>new</em> flavour"
		m.items[0].Summary = "<p>AT&amp;T &lt;b&gt;bold&lt;/b&gt; <b>really</b></p>"
		m.items[3].Title = "Q&amp;A：容器&nbsp;安全"
	})
	_, srv := newServer(t, store, nil)
	var f struct {
		Items []struct {
			URL, Title, Summary string
			ContentHTML         string `json:"content_html"`
		}
	}
	if err := json.Unmarshal(mustGet(t, srv.URL+"/feeds/all.json"), &f); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"https://news.example.cn/2016/1.html": {"Ben & Jerry's new flavour", "AT&T <b>bold</b> really"},
		"https://news.example.cn/2016/4.html": {"Q&A：容器\u00a0安全", ""},
	}
	for _, it := range f.Items {
		w, ok := want[it.URL]
		if !ok {
			continue
		}
		delete(want, it.URL)
		if it.Title != w[0] {
			t.Errorf("%s: title %q, want %q", it.URL, it.Title, w[0])
		}
		if w[1] != "" && (it.Summary != w[1] || !strings.Contains(it.ContentHTML, "<b>really</b>")) {
			t.Errorf("%s: summary %q (want %q), content_html %q", it.URL, it.Summary, w[1], it.ContentHTML)
		}
	}
	if len(want) > 0 {
		t.Errorf("items missing: %v", want)
	}
}

// TestNoControlCharacters: control characters stored in titles, summaries,
// authors and source names (C0, DEL, C1) reach no published document.
func TestNoControlCharacters(t *testing.T) {
	store := newStore()
	store.update(func(m *memStore) {
		for i := range m.items {
			it := &m.items[i]
			it.Title = "\u0085" + it.Title + "\u009b\x01"
			it.Summary = "<p>\u0090摘要\x7f</p>" + it.Summary
			it.Author += "\u0080"
			it.SourceName += "\u009f"
		}
		m.sources[0].Name += "\u0086"
	})
	_, srv := newServer(t, store, nil)
	urls := []string{srv.URL + "/", srv.URL + "/sources.opml", srv.URL + "/sections/paas.html", srv.URL + "/digest/2016-W26.html", srv.URL + "/digest/2016-W26.md", srv.URL + "/feeds/digest.atom"}
	for _, v := range []string{"all", "paas"} {
		for _, f := range publisher.Formats {
			urls = append(urls, srv.URL+"/feeds/"+v+"."+f)
		}
	}
	for _, u := range urls {
		body := mustGet(t, u)
		text := string(body)
		if strings.HasSuffix(u, ".json") {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(v)
			text = string(b)
			if strings.Contains(string(body), `\u0001`) || strings.Contains(string(body), `\u007f`) {
				t.Errorf("%s holds an escaped control character", u)
			}
		}
		for _, r := range text {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
				t.Errorf("%s holds control character %U", u, r)
				break
			}
		}
	}
}
