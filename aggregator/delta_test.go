package aggregator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
)

// sampleDocs returns the feed documents of the repository's test data and
// demo, by name.
func sampleDocs(tb testing.TB) map[string][]byte {
	tb.Helper()
	docs := map[string][]byte{}
	for _, pattern := range []string{"../feeds/testdata/*.xml", "../feeds/testdata/*.atom", "../feeds/testdata/*.rdf", "../demo/feeds/*"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range paths {
			if strings.HasSuffix(p, ".md") {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			docs[filepath.Base(p)] = b
		}
	}
	if len(docs) < 5 {
		tb.Fatalf("found only %d sample feeds", len(docs))
	}
	return docs
}

const testURL = "https://example.org/feed"

// TestSplitItemsParseAlone checks the property the delta parse rests on:
// every item parses the same alone, in the document's head, as it does in
// the whole document, and the head parses the same whichever items are cut.
func TestSplitItemsParseAlone(t *testing.T) {
	split := 0
	for name, doc := range sampleDocs(t) {
		t.Run(name, func(t *testing.T) {
			l, ok := splitItems(doc)
			if !ok {
				t.Logf("not split")
				return
			}
			whole, err := parseAll(doc, testURL, "")
			if err != nil {
				t.Logf("not a feed: %v", err)
				return
			}
			split++
			checkParseAlone(t, doc, l, whole)
		})
	}
	if split == 0 {
		t.Error("no sample feed split")
	}
}

// checkParseAlone checks that each item of doc, split as l, parses alone
// as it does in the whole document, whose parse is whole.
func checkParseAlone(t *testing.T, doc []byte, l itemLayout, whole *feeds.Feed) {
	t.Helper()
	for i, s := range l.items {
		el := string(doc[s.start:s.end])
		if !strings.HasPrefix(el, "<item") && !strings.HasPrefix(el, "<entry") {
			t.Errorf("item %d starts %.20q", i, el)
		}
	}
	var alone []feeds.Item
	seen := map[string]bool{}
	for i := range l.items {
		skip := make([]bool, len(l.items))
		for j := range skip {
			skip[j] = j != i
		}
		f, err := parseAll(cutItems(doc, l.items, skip), testURL, "")
		if err != nil {
			t.Fatalf("item %d alone: %v", i, err)
		}
		if f.Title != whole.Title || f.Link != whole.Link || f.Language != whole.Language || f.TTL != whole.TTL {
			t.Errorf("item %d alone: head parses as %q %q %q %v, whole as %q %q %q %v", i,
				f.Title, f.Link, f.Language, f.TTL, whole.Title, whole.Link, whole.Language, whole.TTL)
		}
		for _, it := range f.Items {
			if !seen[it.Key] { // the whole parse keeps the first of a key
				seen[it.Key] = true
				alone = append(alone, it)
			}
		}
	}
	if (len(alone) > 0 || len(whole.Items) > 0) && !reflect.DeepEqual(alone, whole.Items) {
		t.Errorf("items parsed alone differ from the whole parse:\nalone: %+v\nwhole: %+v", alone, whole.Items)
	}
}

// FuzzDeltaParse checks checkParseAlone's property on any document that
// splits and parses.
func FuzzDeltaParse(f *testing.F) {
	for _, doc := range sampleDocs(f) {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		l, ok := splitItems(doc)
		if !ok || len(l.items) > 50 {
			return
		}
		whole, err := parseAll(doc, testURL, "")
		if err != nil {
			return
		}
		checkParseAlone(t, doc, l, whole)
	})
}

func TestSplitItemsRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"doctype":         `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]><rss><channel><item><title>&x;</title></item></channel></rss>`,
		"utf-16":          "<\x00r\x00s\x00s\x00>\x00",
		"prefixed":        `<feed xmlns:atom="http://www.w3.org/2005/Atom"><atom:entry><title>a</title></atom:entry></feed>`,
		"two places":      `<rss><channel><item><title>a</title></item></channel><channel><item><title>b</title></item></channel></rss>`,
		"two depths":      `<rss><channel><item><title>a</title></item><x><item><title>b</title></item></x></channel></rss>`,
		"unclosed":        `<rss><channel><item><title>a</title></item></channel>`,
		"mismatched":      `<rss><channel><item><title>a</item></title></channel></rss>`,
		"no items":        `<rss><channel><title>a</title></channel></rss>`,
		"html":            `<html><body><p>not a feed</p></body></html>`,
		"root item":       `<item><title>a</title></item>`,
		"unclosed cdata":  `<rss><channel><item><description><![CDATA[a</description></item></channel></rss>`,
		"unclosed attr":   `<rss><channel><item a="></item></channel></rss>`,
		"unclosed commnt": `<rss><channel><!-- <item></item></channel></rss>`,
	} {
		if l, ok := splitItems([]byte(doc)); ok {
			t.Errorf("%s: split into %v", name, l.items)
		}
	}
}

func TestSplitItemsMarkup(t *testing.T) {
	doc := `<?xml version="1.0" encoding="utf-8"?>
<!-- <item>not an item</item> -->
<rss version="2.0"><channel a='x>y'>
<title>T</title>
<item><title>one</title><description><![CDATA[</item><item>]]></description></item>
<?pi <item>?>
<item b="</item>"><title>two</title><x/></item>
<item/>
</channel></rss>`
	l, ok := splitItems([]byte(doc))
	if !ok {
		t.Fatal("not split")
	}
	var got []string
	for _, s := range l.items {
		got = append(got, doc[s.start:s.end])
	}
	want := []string{
		`<item><title>one</title><description><![CDATA[</item><item>]]></description></item>`,
		`<item b="</item>"><title>two</title><x/></item>`,
		`<item/>`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("items:\n%q\nwant\n%q", got, want)
	}
}

// rssItems is an RSS document with items "guid|title" pairs.
func rssItems(title string, items ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>` + title +
		`</title><link>https://example.org/</link><lastBuildDate>` + fmt.Sprint(len(items)) + `</lastBuildDate>`)
	for _, it := range items {
		guid, t, _ := strings.Cut(it, "|")
		b.WriteString("\n<item><guid>" + guid + "</guid><title>" + t + "</title><link>https://example.org/" + guid + "</link></item>")
	}
	b.WriteString("</channel></rss>")
	return []byte(b.String())
}

func titles(items []feeds.Item) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Title)
	}
	return strings.Join(s, ",")
}

func TestDeltaParser(t *testing.T) {
	parse := func(prev *docDigest, doc []byte, url string) (*deltaParser, *feeds.Feed) {
		t.Helper()
		d := &deltaParser{prev: prev}
		f, err := d.parse(doc, url, "application/rss+xml")
		if err != nil {
			t.Fatal(err)
		}
		return d, f
	}
	d, f := parse(nil, rssItems("T", "a|A", "b|B", "c|C"), testURL)
	if d.skipped != 0 || titles(f.Items) != "A,B,C" || d.next == nil {
		t.Fatalf("first: skipped %d, items %s, digest %v", d.skipped, titles(f.Items), d.next)
	}
	first := d.next

	// One new item at the head, one gone at the tail.
	d, f = parse(first, rssItems("T", "d|D", "a|A", "b|B"), testURL)
	if d.skipped != 2 || titles(f.Items) != "D" || f.Title != "T" {
		t.Errorf("new item: skipped %d, items %s, title %q", d.skipped, titles(f.Items), f.Title)
	}
	// And the next fetch builds on that digest.
	d, f = parse(d.next, rssItems("T", "e|E", "d|D", "a|A"), testURL)
	if d.skipped != 2 || titles(f.Items) != "E" {
		t.Errorf("second new item: skipped %d, items %s", d.skipped, titles(f.Items))
	}

	for _, tc := range []struct {
		name string
		doc  []byte
		url  string
	}{
		{"edited item", rssItems("T", "a|A2", "b|B", "c|C"), testURL},
		{"new feed title", rssItems("T2", "d|D", "a|A", "b|B"), testURL},
		{"new URL", rssItems("T", "d|D", "a|A", "b|B"), testURL + "?moved"},
		// The whole parse drops the second b: the document gets no digest.
		{"duplicate of a known key", rssItems("T", "b|B2", "a|A", "b|B"), testURL},
	} {
		d, f := parse(first, tc.doc, tc.url)
		whole, err := parseAll(tc.doc, tc.url, "application/rss+xml")
		if err != nil {
			t.Fatal(err)
		}
		if d.skipped != 0 || !reflect.DeepEqual(f.Items, whole.Items) || (d.next == nil) != (len(whole.Items) < 3) {
			t.Errorf("%s: skipped %d, items %s, want the whole parse %s", tc.name, d.skipped, titles(f.Items), titles(whole.Items))
		}
	}

	// Nothing new: a 200 with the same items parses none of them.
	d, f = parse(first, rssItems("T", "a|A", "b|B", "c|C"), testURL)
	if d.skipped != 3 || len(f.Items) != 0 || f.Title != "T" {
		t.Errorf("unchanged: skipped %d, items %s", d.skipped, titles(f.Items))
	}

	// A document that does not split has no digest, and parses whole.
	atom := []byte(`<feed xmlns="http://www.w3.org/2005/Atom" xmlns:a="http://www.w3.org/2005/Atom"><title>x</title><a:entry><id>1</id><title>one</title></a:entry></feed>`)
	d, _ = parse(first, atom, testURL)
	if d.next != nil || d.skipped != 0 {
		t.Errorf("unsplittable: digest %v, skipped %d", d.next, d.skipped)
	}
}

// TestDeltaParserKeysBounded checks that a digest's keys, which grow as
// items come and go, are bounded.
func TestDeltaParserKeysBounded(t *testing.T) {
	var prev *docDigest
	full := 0
	for round := range 200 {
		var items []string
		for k := round; k < round+5; k++ {
			items = append(items, fmt.Sprintf("g%d|T%d", k, k))
		}
		d := &deltaParser{prev: prev}
		if _, err := d.parse(rssItems("T", items...), testURL, ""); err != nil {
			t.Fatal(err)
		}
		if d.skipped == 0 {
			full++
		}
		if d.next != nil && len(d.next.keys) > maxDigestKeys(5) {
			t.Fatalf("round %d: %d keys", round, len(d.next.keys))
		}
		prev = d.next
	}
	if full > 20 {
		t.Errorf("%d full parses in 200 rounds", full)
	}
}

// TestDeltaParserRandom applies random edits to sample feeds and checks that
// the items the delta parse returns, plus the ones it skipped, are the
// whole parse's.
func TestDeltaParserRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for name, doc := range sampleDocs(t) {
		l, ok := splitItems(doc)
		if !ok || len(l.items) < 2 {
			continue
		}
		d := &deltaParser{}
		if _, err := d.parse(doc, testURL, ""); err != nil {
			continue // not a feed
		}
		for range 10 {
			// Drop some items, and change the title of one.
			skip := make([]bool, len(l.items))
			for i := range skip {
				skip[i] = r.IntN(3) == 0
			}
			edited := cutItems(doc, l.items, skip)
			if r.IntN(2) == 0 {
				edited = bytes.Replace(edited, []byte("<title>"), []byte("<title>edited "), 2)
			}
			whole, err := parseAll(edited, testURL, "")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			dd := &deltaParser{prev: d.next}
			f, err := dd.parse(edited, testURL, "")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			// What the delta parse returned must be a subsequence of the whole
			// parse, missing exactly the skipped items, which the previous
			// document had, unchanged.
			prevWhole, _ := parseAll(doc, testURL, "")
			known := map[string]feeds.Item{}
			for _, it := range prevWhole.Items {
				known[it.Key] = it
			}
			got := map[string]bool{}
			for _, it := range f.Items {
				got[it.Key] = true
			}
			missing := 0
			for _, it := range whole.Items {
				if got[it.Key] {
					continue
				}
				missing++
				if old, ok := known[it.Key]; !ok || !reflect.DeepEqual(old, it) {
					t.Errorf("%s: item %s skipped but it is new or changed", name, it.Key)
				}
			}
			if missing != dd.skipped || len(f.Items)+dd.skipped != len(whole.Items) {
				t.Errorf("%s: %d parsed + %d skipped, whole parse has %d (%d missing)", name, len(f.Items), dd.skipped, len(whole.Items), missing)
			}
		}
	}
}

func FuzzSplitItems(f *testing.F) {
	for _, doc := range sampleDocs(f) {
		f.Add(doc)
	}
	f.Add([]byte(`<rss><channel><item><![CDATA[x]]></item><item/></channel></rss>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		l, ok := splitItems(doc)
		if !ok {
			return
		}
		last := 0
		for _, s := range l.items {
			if s.start < last || s.end <= s.start || s.end > len(doc) || doc[s.start] != '<' || doc[s.end-1] != '>' {
				t.Fatalf("bad span %v after %d in %d bytes", s, last, len(doc))
			}
			last = s.end
		}
		skip := make([]bool, len(l.items))
		for i := range skip {
			skip[i] = i%2 == 0
		}
		_ = cutItems(doc, l.items, skip)
	})
}

// TestDeltaParserItemCap: a document with more items than the parser takes
// gives its first ones, as a whole parse does, even when the digest of the
// previous one would let the parse skip some of them.
func TestDeltaParserItemCap(t *testing.T) {
	d := &deltaParser{parser: feeds.Parser{MaxItems: 5}}
	if _, err := d.parse(rssItems("T", "a|A", "b|B", "c|C", "d|D"), testURL, ""); err != nil || d.next == nil {
		t.Fatalf("first document: %v, digest %v", err, d.next)
	}
	d = &deltaParser{prev: d.next, parser: feeds.Parser{MaxItems: 5}}
	f, err := d.parse(rssItems("T", "x|X", "y|Y", "z|Z", "a|A", "b|B", "c|C", "d|D"), testURL, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := titles(f.Items); got != "X,Y,Z,A,B" || d.skipped != 0 {
		t.Errorf("items %q, %d skipped; want the first five, X,Y,Z,A,B, none skipped", got, d.skipped)
	}
}
