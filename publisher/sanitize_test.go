package publisher_test

import (
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// dangerousElements may not reach a reader, whatever their attributes.
var dangerousElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "object": true, "embed": true, "form": true,
	"input": true, "meta": true, "base": true, "link": true, "svg": true, "math": true, "frame": true,
	"frameset": true, "applet": true, "template": true, "noscript": true,
}

// urlAttributes hold URLs a browser follows or loads.
var urlAttributes = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "data": true, "poster": true,
	"background": true, "cite": true, "srcset": true, "xlink:href": true, "longdesc": true, "usemap": true,
}

// checkSafeHTML fails when fragment, parsed as a browser would, holds a
// script, a dangerous element, an event handler, a style attribute, or a
// URL whose scheme is not http, https or mailto.
func checkSafeHTML(t *testing.T, where, fragment string) {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if dangerousElements[n.Data] {
				t.Errorf("%s: <%s> reaches the reader", where, n.Data)
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = a.Namespace + ":" + key
				}
				if strings.HasPrefix(key, "on") || key == "style" {
					t.Errorf("%s: <%s %s=%q> reaches the reader", where, n.Data, key, a.Val)
				}
				if urlAttributes[key] || strings.HasSuffix(key, ":href") {
					checkSafeURL(t, where, n.Data, key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
}

func checkSafeURL(t *testing.T, where, elem, attr, val string) {
	t.Helper()
	// What a browser does before reading the scheme: drop whitespace and
	// control characters, ignore case.
	cleaned := strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return -1
		}
		return r
	}, val))
	scheme, _, hasColon := strings.Cut(cleaned, ":")
	if strings.HasPrefix(where, "/") && strings.HasPrefix(val, "#") {
		return // the page's links to its own sections
	}
	if !hasColon || strings.ContainsAny(scheme, "/?#") {
		t.Errorf("%s: <%s %s=%q>: relative URL left for the reader to resolve against the feed", where, elem, attr, val)
		return
	}
	if scheme != "http" && scheme != "https" && scheme != "mailto" {
		t.Errorf("%s: <%s %s=%q> reaches the reader", where, elem, attr, val)
	}
}

// TestHostileHTML serves an item whose summary tries every trick there is,
// and checks every place its HTML comes out: the three formats of its
// views, the digest feed's issue, the digest page and the site's page.
func TestHostileHTML(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)
	found := false
	for _, view := range []string{"all", "containers"} {
		a := parseAtom(t, mustGet(t, srv.URL+"/feeds/"+view+".atom"))
		for _, e := range a.Entries {
			checkSafeHTML(t, view+".atom summary of "+e.Title, e.Summary)
			checkSafeHTML(t, view+".atom content of "+e.Title, e.Content)
			if strings.Contains(e.Summary, "Docker 1.12 内置编排") {
				found = true
				// What is harmless survives: the text, the safe link, the
				// image with its URL resolved against the article.
				for _, want := range []string{"https://example.com/ok", "https://news.example.cn/logo.png", "https://news.example.cn/relative/path", "styled", "toggle"} {
					if !strings.Contains(e.Summary, want) {
						t.Errorf("sanitised summary lost %q:\n%s", want, e.Summary)
					}
				}
			}
		}
		r := parseRSS(t, mustGet(t, srv.URL+"/feeds/"+view+".rss"))
		for _, it := range r.Channel.Items {
			checkSafeHTML(t, view+".rss description of "+it.Title, it.Description)
			checkSafeHTML(t, view+".rss content of "+it.Title, it.Content)
		}
		j := parseJSON(t, mustGet(t, srv.URL+"/feeds/"+view+".json"))
		for _, it := range j.Items {
			checkSafeHTML(t, view+".json content_html of "+it.Title, it.ContentHTML)
			if strings.Contains(it.Summary, "<") && strings.Contains(it.Summary, "script") {
				t.Errorf("json summary is not plain text: %q", it.Summary)
			}
		}
	}
	if !found {
		t.Fatal("the hostile item is not in the feed")
	}
	// The English item's relative link is resolved against its article.
	a := parseAtom(t, mustGet(t, srv.URL+"/feeds/paas.atom"))
	for _, e := range a.Entries {
		if strings.Contains(e.Content, "federation") && !strings.Contains(e.Content, `href="https://kubernetes.io/blog/federation"`) {
			t.Errorf("relative link not resolved: %s", e.Content)
		}
		if strings.Contains(e.Title, "<") {
			t.Errorf("markup in a title: %q", e.Title)
		}
	}

	d := parseAtom(t, mustGet(t, srv.URL+"/feeds/digest.atom"))
	for _, e := range d.Entries {
		checkSafeHTML(t, "digest.atom content of "+e.Title, e.Content)
	}
	for _, page := range []string{"/", "/digest/2016-W26.html"} {
		body := string(mustGet(t, srv.URL+page))
		// Only the page's own head may hold link, meta and style.
		_, after, ok := strings.Cut(body, "<body>")
		if !ok {
			t.Fatalf("%s: no body", page)
		}
		checkSafeHTML(t, page, strings.TrimSuffix(strings.TrimSpace(after), "</body>\n</html>"))
		if strings.Contains(body, "<script") {
			t.Errorf("%s holds a script", page)
		}
	}
}
