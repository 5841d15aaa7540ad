package publisher_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestDigestNumberedOnce checks that an issue's items are numbered once
// wherever its HTML is read: in the digest feed's entry content, which
// readers show without the page's style, and on the page. The
// number is the text's "1、" (as in the Markdown post); no list element
// numbers the items a second time ("1. 1、").
func TestDigestNumberedOnce(t *testing.T) {
	store := newStore()
	_, srv := newServer(t, store, nil)

	d := parseAtom(t, mustGet(t, srv.URL+"/feeds/digest.atom"))
	if len(d.Entries) == 0 {
		t.Fatal("no digest entries")
	}
	for _, e := range d.Entries {
		checkNumberedOnce(t, "digest.atom entry "+e.Title, e.Content)
	}
	checkNumberedOnce(t, "digest page", string(mustGet(t, srv.URL+"/digest/2016-W26.html")))
}

var numbered = regexp.MustCompile(`^(\d+)、\S`)

func checkNumberedOnce(t *testing.T, what, doc string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var headings []string
	next := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "ol", "ul", "li":
				t.Errorf("%s: a <%s> numbers or marks the items again:\n%s", what, n.Data, doc)
			case "h2":
				next = 1
			case "h3":
				text := strings.TrimSpace(textContent(n))
				headings = append(headings, text)
				if m := numbered.FindStringSubmatch(text); m == nil || m[1] != fmt.Sprint(next) {
					t.Errorf("%s: item heading %q, want it to start %d、", what, text, next)
				}
				next++
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	if len(headings) == 0 {
		t.Errorf("%s: no item headings:\n%s", what, doc)
	}
}

func textContent(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textContent(c))
	}
	return b.String()
}
