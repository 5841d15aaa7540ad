package feeds_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedcurator/feedcurator/feeds"
)

// namespacedFeed is an RSS document with ns namespace declarations on the
// element named by on ("rss" or "channel") and items items, each holding
// two elements in declared namespaces: the shape that made the XML parser
// copy thousands of bindings for every element.
func namespacedFeed(on string, ns, items int) []byte {
	var b strings.Builder
	decls := func() {
		for i := 0; i < ns; i++ {
			fmt.Fprintf(&b, ` xmlns:n%d="http://example.com/ns/%d"`, i, i)
		}
	}
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<rss version="2.0"`)
	if on == "rss" {
		decls()
	}
	b.WriteString(`><channel`)
	if on == "channel" {
		decls()
	}
	b.WriteString(`><title>Namespaces</title><link>https://example.com/</link>`)
	for i := 0; i < items; i++ {
		a, c := i%max(ns, 1), (i+1)%max(ns, 1)
		fmt.Fprintf(&b, `<item><title>item %d</title><link>https://example.com/%d</link><n%d:a>x</n%d:a><n%d:b>y</n%d:b></item>`, i, i, a, a, c, c)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// TestParseTooComplex: a document whose parse would cost far more than its
// size (thousands of namespace bindings copied for every element, or
// nesting thousands deep) is refused with ErrTooComplex before parsing.
func TestParseTooComplex(t *testing.T) {
	deep := `<rss version="2.0"><channel><title>deep</title><item><title>x</title><description>` +
		strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000) + `</description></item></channel></rss>`
	for name, doc := range map[string][]byte{
		"namespaces": namespacedFeed("channel", 2000, 20000), // 2.3 MB; minutes and gigabytes before the limit
		"depth":      []byte(deep),
	} {
		t.Run(name, func(t *testing.T) {
			f, err := feeds.ParseBytes(doc, "https://example.com/feed", "")
			if !errors.Is(err, feeds.ErrTooComplex) {
				n := -1
				if f != nil {
					n = len(f.Items)
				}
				t.Fatalf("Parse of %d bytes: %d items, error %v; want ErrTooComplex", len(doc), n, err)
			}
		})
	}
}

// TestParseManyNamespacesOnRoot: a valid RSS whose root declares 10,000
// namespaces (a start tag far longer than gofeed's 4 KB type detection
// reads) is a feed.
func TestParseManyNamespacesOnRoot(t *testing.T) {
	doc := namespacedFeed("rss", 10000, 20)
	f, err := feeds.ParseBytes(doc, "https://example.com/feed", "application/rss+xml")
	if err != nil {
		t.Fatalf("Parse of an RSS with 10,000 namespace declarations on the root: %v", err)
	}
	checkInvariants(t, f)
	if f.Title != "Namespaces" || len(f.Items) != 20 || f.Items[19].Title != "item 19" {
		t.Errorf("feed %q with %d items, want \"Namespaces\" with 20", f.Title, len(f.Items))
	}
}

// TestParseMaxItems: one document yields at most DefaultMaxItems items (or
// Parser.MaxItems), the first ones in document order.
func TestParseMaxItems(t *testing.T) {
	doc := namespacedFeed("channel", 3, 5000)
	f, err := feeds.ParseBytes(doc, "https://example.com/feed", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != feeds.DefaultMaxItems || f.Items[0].Title != "item 0" || f.Items[len(f.Items)-1].Title != fmt.Sprintf("item %d", feeds.DefaultMaxItems-1) {
		t.Errorf("got %d items (first %q), want the first %d", len(f.Items), f.Items[0].Title, feeds.DefaultMaxItems)
	}
	f, err = feeds.Parser{MaxItems: 7}.ParseBytes(context.Background(), []byte(atomEntries(12)), "https://example.com/feed", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 7 || f.Items[6].Title != "entry 6" {
		t.Errorf("Atom with MaxItems 7: %d items", len(f.Items))
	}
}

func atomEntries(n int) string {
	var b strings.Builder
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<entry><title>entry %d</title><id>urn:a:%d</id><link href="https://example.com/%d"/></entry>`, i, i, i)
	}
	b.WriteString(`</feed>`)
	return b.String()
}

// countdown is a context whose Err reports a passed deadline from its n-th
// call on: a deadline that passes in the middle of a parse, deterministically.
type countdown struct {
	context.Context
	calls, n atomic.Int64
}

func (c *countdown) Err() error {
	if c.calls.Add(1) >= c.n.Load() {
		return context.DeadlineExceeded
	}
	return nil
}

// TestParseDeadline: a parse stops with the context's error once its
// deadline passes, mid-document, instead of running to the end.
func TestParseDeadline(t *testing.T) {
	doc := namespacedFeed("channel", 10, 3000) // about 300 KB: many reads
	ctx := &countdown{Context: context.Background()}
	ctx.n.Store(10)
	f, err := feeds.Parser{}.ParseBytes(ctx, doc, "https://example.com/feed", "")
	if !errors.Is(err, context.DeadlineExceeded) || f != nil {
		t.Fatalf("Parse with a deadline passing after %d looks: feed %v, error %v; want DeadlineExceeded", ctx.n.Load(), f != nil, err)
	}
	if c := ctx.calls.Load(); c < 10 {
		t.Errorf("the context was looked at %d times: the parse never started", c)
	}

	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if _, err := (feeds.Parser{}).ParseBytes(expired, doc, "https://example.com/feed", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Parse with an expired deadline: %v", err)
	}
}

// TestParseCapsText: titles, authors and categories are capped, titles cut
// on a character boundary and ending with an ellipsis.
func TestParseCapsText(t *testing.T) {
	long := strings.Repeat("标题x", 40000) // 120,000 runes
	cats := ""
	for i := 0; i < 200; i++ {
		cats += fmt.Sprintf("<category>c%d%s</category>", i, strings.Repeat("y", 300))
	}
	doc := `<rss version="2.0"><channel><title>` + long + `</title><item><title>` + long + `</title>` +
		`<author>` + strings.Repeat("作者", 5000) + `</author>` + cats + `<guid>g</guid></item></channel></rss>`
	f, err := feeds.ParseBytes([]byte(doc), "https://example.com/feed", "")
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, f)
	it := f.Items[0]
	for name, s := range map[string]string{"feed title": f.Title, "item title": it.Title} {
		if n := utf8.RuneCountInString(s); n > feeds.MaxTitleRunes || !strings.HasSuffix(s, feeds.Ellipsis) || !strings.HasPrefix(s, "标题x标题x") || !utf8.ValidString(s) {
			t.Errorf("%s: %d runes, ends %q; want at most %d ending with %q", name, n, string([]rune(s)[max(0, n-4):]), feeds.MaxTitleRunes, feeds.Ellipsis)
		}
	}
	if n := utf8.RuneCountInString(it.Author); n > feeds.MaxAuthorRunes {
		t.Errorf("author: %d runes, want at most %d", n, feeds.MaxAuthorRunes)
	}
	if len(it.Categories) != feeds.MaxCategories {
		t.Errorf("%d categories, want %d", len(it.Categories), feeds.MaxCategories)
	}
	for _, c := range it.Categories {
		if n := utf8.RuneCountInString(c); n > feeds.MaxCategoryRunes {
			t.Errorf("category of %d runes, want at most %d", n, feeds.MaxCategoryRunes)
			break
		}
	}
}

// TestParseStripsC1Controls: C1 controls (U+0080 to U+009F, usually
// Windows-1252 read as Latin-1) and DEL are dropped from every text field,
// the feed's title included; U+0085 (next line) counts as a space.
func TestParseStripsC1Controls(t *testing.T) {
	doc := "<rss version=\"2.0\"><channel><title>Feed\u0080 \u009ftitle</title><language>en\u0090</language>" +
		"<item><title>Caf\u0082e\u0085news\u007f</title><author>A\u0093uthor</author><category>c\u0094at</category>" +
		"<description>&lt;p&gt;sum\u0086mary&lt;/p&gt;\ttab</description><guid>g</guid></item></channel></rss>"
	f, err := feeds.ParseBytes([]byte(doc), "https://example.com/feed", "")
	if err != nil {
		t.Fatal(err)
	}
	it := f.Items[0]
	got := []string{f.Title, f.Language, it.Title, it.Author, strings.Join(it.Categories, ","), it.Summary}
	want := []string{"Feed title", "en", "Cafe news", "Author", "cat", "<p>summary</p>\ttab"}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("got %q, want %q", got[i], want[i])
		}
	}
}

// BenchmarkParseHostile parses the documents of the parse-limit tests: one
// that is refused, one at the item limit and one with 10,000 namespaces on
// its root.
func BenchmarkParseHostile(b *testing.B) {
	for _, c := range []struct {
		name      string
		on        string
		ns, items int
	}{
		{"2000ns-20000items", "channel", 2000, 20000},
		{"2000ns-2000items", "channel", 2000, 2000},
		{"20ns-20000items", "channel", 20, 20000},
		{"10000ns-root-20items", "rss", 10000, 20},
	} {
		doc := namespacedFeed(c.on, c.ns, c.items)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = feeds.ParseBytes(doc, "https://example.com/feed", "")
			}
		})
	}
}

// TestParseMaxItemsMarkup: the items are counted and cut by the markup,
// not by text that looks like it in CDATA sections, comments, processing
// instructions or attribute values.
func TestParseMaxItemsMarkup(t *testing.T) {
	doc := `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "x">]><?pi <item>?><rss version="2.0"><!-- <item> --><channel><title a="x>y item>">T</title>` +
		`<item><title>one</title><description><![CDATA[</item><item><title>fake</title></item>]]></description><guid>1</guid></item>` +
		`<item t='&lt;item&gt;'><title>two</title><!-- </item> --><guid>2</guid></item>` +
		`<item><title>three</title><guid>3</guid></item><item/>` +
		`</channel></rss>`
	f, err := feeds.Parser{MaxItems: 2}.ParseBytes(context.Background(), []byte(doc), "https://example.com/feed", "")
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, it := range f.Items {
		titles = append(titles, it.Title)
	}
	if strings.Join(titles, ",") != "one,two" || f.Items[0].Summary != "</item><item><title>fake</title></item>" {
		t.Errorf("items %q (first summary %q), want one,two", titles, f.Items[0].Summary)
	}
}

// TestParseJSONFeedWithMarkup: a JSON Feed is not XML, though its content
// holds markup: it is parsed as JSON, not sniffed as a document whose root
// is its first HTML element.
func TestParseJSONFeedWithMarkup(t *testing.T) {
	doc := `{"version": "https://jsonfeed.org/version/1.1", "title": "JSON", "items": [` +
		`{"id": "1", "url": "https://example.com/1", "title": "one", "content_html": "<p>Hello <b>world</b></p>"}]}`
	f, err := feeds.ParseBytes([]byte(doc), "https://example.com/feed.json", "application/feed+json")
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "JSON" || len(f.Items) != 1 || f.Items[0].Content != "<p>Hello <b>world</b></p>" {
		t.Errorf("feed %q, items %+v", f.Title, f.Items)
	}
}
