package feeds_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// writeAll writes d in the three formats.
func writeAll(t *testing.T, d *feeds.Document) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, write := range map[string]func(*bytes.Buffer, *feeds.Document) error{
		"atom": func(b *bytes.Buffer, d *feeds.Document) error { return feeds.WriteAtom(b, d) },
		"rss":  func(b *bytes.Buffer, d *feeds.Document) error { return feeds.WriteRSS(b, d) },
		"json": func(b *bytes.Buffer, d *feeds.Document) error { return feeds.WriteJSONFeed(b, d) },
	} {
		var buf bytes.Buffer
		if err := write(&buf, d); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
		out[name] = buf.Bytes()
	}
	return out
}

// TestAtomSourceUpdated: a <source> with metadata carries <updated>, which
// the W3C validator asks for ("Missing source element: updated").
func TestAtomSourceUpdated(t *testing.T) {
	var doc struct {
		Entries []struct {
			Source struct {
				ID      string `xml:"id"`
				Updated string `xml:"updated"`
			} `xml:"source"`
		} `xml:"entry"`
	}
	body := writeAll(t, digestDocument())["atom"]
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Entries[0].Source.Updated; got != "2026-11-24T10:05:00Z" {
		t.Errorf("first entry's source updated %q, want 2026-11-24T10:05:00Z\n%s", got, body)
	}
}

// TestCategoryAgrees: term, scheme and label are the same in the three
// formats, as far as each can say them.
func TestCategoryAgrees(t *testing.T) {
	out := writeAll(t, digestDocument())
	const scheme = "http://127.0.0.1:8080/sections/"
	if want := `<category term="containers" scheme="` + scheme + `" label="云计算及容器技术"></category>`; !bytes.Contains(out["atom"], []byte(want)) {
		t.Errorf("atom lacks %s:\n%s", want, out["atom"])
	}
	if want := `<category domain="` + scheme + `">containers</category>`; !bytes.Contains(out["rss"], []byte(want)) {
		t.Errorf("rss lacks %s:\n%s", want, out["rss"])
	}
	// Without a scheme, RSS shows the label, as readers display it.
	if want := `<category>业内动态</category>`; !bytes.Contains(out["rss"], []byte(want)) {
		t.Errorf("rss lacks %s:\n%s", want, out["rss"])
	}
	var f struct {
		Items []struct {
			Tags     []string                             `json:"tags"`
			Category struct{ Term, Scheme, Label string } `json:"_category"`
		} `json:"items"`
	}
	if err := json.Unmarshal(out["json"], &f); err != nil {
		t.Fatal(err)
	}
	it := f.Items[0]
	if len(it.Tags) != 1 || it.Tags[0] != "云计算及容器技术" || it.Category.Term != "containers" ||
		it.Category.Scheme != scheme || it.Category.Label != "云计算及容器技术" {
		t.Errorf("json item 0: tags %q, _category %+v", it.Tags, it.Category)
	}
}

// TestJSONFeedAuthor: JSON Feed 1.0's author object is written beside 1.1's
// authors, for the feed and for each item.
func TestJSONFeedAuthor(t *testing.T) {
	var f struct {
		Author  *struct{ Name string }  `json:"author"`
		Authors []struct{ Name string } `json:"authors"`
		Items   []struct {
			Author  *struct{ Name string }  `json:"author"`
			Authors []struct{ Name string } `json:"authors"`
		} `json:"items"`
	}
	body := writeAll(t, digestDocument())["json"]
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatal(err)
	}
	if f.Author == nil || f.Author.Name != "feedcurator" || len(f.Authors) != 1 {
		t.Errorf("feed author %+v authors %+v", f.Author, f.Authors)
	}
	for i, it := range f.Items {
		if it.Author == nil || len(it.Authors) != 1 || it.Author.Name != it.Authors[0].Name {
			t.Errorf("item %d: author %+v authors %+v", i, it.Author, it.Authors)
		}
	}
}

// TestWritersDropControls: no C0 (but tab and line breaks), DEL or C1
// character reaches a written document, whatever the entry holds.
func TestWritersDropControls(t *testing.T) {
	d := digestDocument()
	d.Title += "\u0085\u009b"
	d.Entries[0].Title = "浅谈\u0080Docker\u009f安全\x01\x7f"
	d.Entries[0].Summary = "<p>摘要\u0090</p>"
	d.Entries[0].Author = "容器\u008a时代"
	d.Entries[0].Source.Title = "Docker\u0085中文社区"
	d.Entries[0].Category.Label = "云计算\u0086"
	for name, body := range writeAll(t, d) {
		text := string(body)
		if name == "json" {
			// JSON may escape them; decode to see what a reader gets.
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(v) // C1 characters come out as they are, C0 escaped
			text = string(b)
			if strings.Contains(string(body), `\u008`) || strings.Contains(string(body), `\u009`) || strings.Contains(string(body), `\u0001`) {
				t.Errorf("json holds an escaped control character:\n%s", body)
			}
		}
		for _, r := range text {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) {
				t.Errorf("%s holds control character %U:\n%s", name, r, body)
				break
			}
		}
		if !strings.Contains(text, "浅谈Docker安全") {
			t.Errorf("%s lost the title's text:\n%s", name, body)
		}
	}
}

// TestRSSSourceWithoutFeedURL: an entry whose source has only a website
// (its feed URL withheld) still gets an RSS <source url>.
func TestRSSSourceWithoutFeedURL(t *testing.T) {
	d := &feeds.Document{Title: "t", Updated: time.Unix(0, 0), Entries: []feeds.Entry{{
		ID: "x", Title: "a", Link: "https://a.example/1",
		Source: feeds.EntrySource{Title: "A", Link: "https://a.example/"},
	}}}
	body := writeAll(t, d)["rss"]
	if !bytes.Contains(body, []byte(`<source url="https://a.example/">A</source>`)) {
		t.Errorf("no source element:\n%s", body)
	}
}
