package feeds_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// clock is the fixed "now" of the Atom tests.
var clock = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

const atomGolden = "digest.atom.golden"

// digestDocument is a small curated digest with one entry per section and
// the awkward cases: an entry without a link, one without an author, one
// never updated, markup and escapes in text.
func digestDocument() *feeds.Document {
	cst := time.FixedZone("CST", 8*3600)
	return &feeds.Document{
		ID:        "tag:feedcurator.example,2026:weekly",
		Title:     "一周业内技术动态",
		Subtitle:  "云计算及容器技术、PaaS技术落地实践、业内动态、大杂烩",
		Lang:      "zh-CN",
		Updated:   clock,
		Author:    "feedcurator",
		Generator: "feedcurator",
		Links: []feeds.Link{
			{Rel: "self", Href: "http://127.0.0.1:8080/feed.atom", Type: "application/atom+xml"},
			{Rel: "alternate", Href: "http://127.0.0.1:8080/", Type: "text/html"},
		},
		Entries: []feeds.Entry{
			{
				ID:        "tag:feedcurator.example,2026:item/1",
				Title:     "浅谈Docker安全：技术、生态和最新的安全特性",
				Link:      "https://mp.weixin.qq.com/s/docker-security-ecosystem",
				Summary:   "<p>本文从容器安全、镜像安全、安全生态（Twistlock、Aqua、clair等）等方面介绍当前docker安全相关话题。</p>",
				Author:    "容器时代",
				Lang:      "zh-CN",
				Published: time.Date(2026, 11, 24, 16, 38, 20, 0, cst),
				Updated:   time.Date(2026, 11, 24, 18, 0, 0, 0, cst),
				Category:  feeds.Category{Term: "containers", Label: "云计算及容器技术", Scheme: "http://127.0.0.1:8080/sections/"},
				Source: feeds.EntrySource{
					ID:      "https://docker.example.cn/feed.xml",
					Title:   "Docker中文社区",
					Link:    "https://docker.example.cn/",
					SelfURL: "https://docker.example.cn/feed.xml",
					Updated: time.Date(2026, 11, 24, 18, 5, 0, 0, cst),
				},
			},
			{
				ID:        "tag:feedcurator.example,2026:item/2",
				Title:     "Kubernetes Master High Availability: haproxy & keepalived <in practice>",
				Link:      "https://kubernetes.io/blog/2026/11/master-high-availability/",
				Summary:   `<p>All components but the kubelet run in containers; a <a href="https://kubernetes.io/docs/">load balancer</a> fronts the masters.</p>`,
				Content:   "<p>Full text &amp; diagrams.</p>",
				Author:    "Kubernetes Authors",
				Lang:      "en",
				Published: time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("PST", -8*3600)),
				Category:  feeds.Category{Term: "paas", Label: "PaaS技术落地实践", Scheme: "http://127.0.0.1:8080/sections/"},
				Source: feeds.EntrySource{
					ID:      "https://kubernetes.io/feed.xml",
					Title:   "Kubernetes Blog",
					Link:    "https://kubernetes.io/blog/",
					SelfURL: "https://kubernetes.io/feed.xml",
				},
			},
			{
				// No author: the source's title stands in.
				ID:        "tag:feedcurator.example,2026:item/3",
				Title:     "有消息称：微软试图斥资40亿美金收购Docker",
				Link:      "https://www.example.cn/news/2026/11/microsoft-docker",
				Summary:   "据熟悉这两家公司的多位消息灵通人士表示，微软准备斥资40亿美金，收购Docker。",
				Published: time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC),
				Category:  feeds.Category{Term: "industry", Label: "业内动态"},
				Source: feeds.EntrySource{
					ID:      "https://industry.example.cn/rss",
					Title:   "业内资讯",
					Link:    "https://industry.example.cn/",
					SelfURL: "https://industry.example.cn/rss",
				},
			},
			{
				// No link: the summary doubles as content (RFC 4287 4.1.1).
				ID:        "tag:feedcurator.example,2026:item/4",
				Title:     "Serverless架构综述",
				Summary:   "<p>从BaaS、FaaS（AWS Lambda）两种serverless类型切入，与PaaS作比较。</p>",
				Author:    "编辑部",
				Published: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
				Category:  feeds.Category{Term: "misc", Label: "大杂烩"},
				Source: feeds.EntrySource{
					ID:    "https://misc.example.org/atom",
					Title: "Misc Tech",
				},
			},
		},
	}
}

func writeDigest(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := feeds.WriteAtom(&buf, digestDocument()); err != nil {
		t.Fatalf("WriteAtom: %v", err)
	}
	return buf.Bytes()
}

func TestWriteAtomGolden(t *testing.T) {
	checkGolden(t, atomGolden, writeDigest(t))
}

// TestWriteAtomRoundTrip reads the output back with Parse: what the
// publisher writes, the aggregator of another feedcurator can read.
func TestWriteAtomRoundTrip(t *testing.T) {
	doc := digestDocument()
	out := writeDigest(t)
	f, err := feeds.Parse(bytes.NewReader(out), "http://127.0.0.1:8080/feed.atom", "application/atom+xml; charset=utf-8")
	if err != nil {
		t.Fatalf("Parse(WriteAtom(…)): %v\n%s", err, out)
	}
	checkInvariants(t, f)
	if f.Title != doc.Title || f.Language != doc.Lang || f.Link != "http://127.0.0.1:8080/" {
		t.Errorf("feed title %q lang %q link %q", f.Title, f.Language, f.Link)
	}
	if len(f.Items) != len(doc.Entries) {
		t.Fatalf("read back %d items, wrote %d", len(f.Items), len(doc.Entries))
	}
	for i, e := range doc.Entries {
		it := f.Items[i]
		if it.Key != "guid:"+e.ID || it.GUID != e.ID {
			t.Errorf("entry %d: key %q guid %q, want id %q", i, it.Key, it.GUID, e.ID)
		}
		if it.Title != e.Title {
			t.Errorf("entry %d: title %q, want %q", i, it.Title, e.Title)
		}
		if it.Link != e.Link {
			t.Errorf("entry %d: link %q, want %q", i, it.Link, e.Link)
		}
		if it.Summary != e.Summary {
			t.Errorf("entry %d: summary %q, want %q", i, it.Summary, e.Summary)
		}
		wantContent := e.Content
		if wantContent == "" && e.Link == "" {
			wantContent = e.Summary
		}
		if it.Content != wantContent {
			t.Errorf("entry %d: content %q, want %q", i, it.Content, wantContent)
		}
		wantAuthor := e.Author
		if wantAuthor == "" {
			wantAuthor = e.Source.Title
		}
		if it.Author != wantAuthor {
			t.Errorf("entry %d: author %q, want %q", i, it.Author, wantAuthor)
		}
		if len(it.Categories) != 1 || it.Categories[0] != e.Category.Label {
			t.Errorf("entry %d: categories %q, want [%q]", i, it.Categories, e.Category.Label)
		}
		if !it.Published.Equal(e.Published) {
			t.Errorf("entry %d: published %v, want %v", i, it.Published, e.Published)
		}
		wantUpdated := e.Updated
		if wantUpdated.IsZero() {
			wantUpdated = e.Published
		}
		if !it.Updated.Equal(wantUpdated) {
			t.Errorf("entry %d: updated %v, want %v", i, it.Updated, wantUpdated)
		}
	}
}

// atomDoc mirrors the parts of RFC 4287 that TestWriteAtomStructure checks.
type atomDoc struct {
	XMLName xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string     `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID      string     `xml:"http://www.w3.org/2005/Atom id"`
	Updated string     `xml:"http://www.w3.org/2005/Atom updated"`
	Links   []atomLink `xml:"http://www.w3.org/2005/Atom link"`
	Authors []struct {
		Name string `xml:"http://www.w3.org/2005/Atom name"`
	} `xml:"http://www.w3.org/2005/Atom author"`
	Entries []struct {
		ID        []string   `xml:"http://www.w3.org/2005/Atom id"`
		Title     []string   `xml:"http://www.w3.org/2005/Atom title"`
		Updated   []string   `xml:"http://www.w3.org/2005/Atom updated"`
		Published []string   `xml:"http://www.w3.org/2005/Atom published"`
		Links     []atomLink `xml:"http://www.w3.org/2005/Atom link"`
		Content   []struct {
			Type string `xml:"type,attr"`
		} `xml:"http://www.w3.org/2005/Atom content"`
		Categories []struct {
			Term     *string `xml:"term,attr"`
			Label    *string `xml:"label,attr"`
			InnerXML string  `xml:",innerxml"`
		} `xml:"http://www.w3.org/2005/Atom category"`
		Authors []struct {
			Name []string `xml:"http://www.w3.org/2005/Atom name"`
		} `xml:"http://www.w3.org/2005/Atom author"`
		Sources []struct {
			ID    string     `xml:"http://www.w3.org/2005/Atom id"`
			Title string     `xml:"http://www.w3.org/2005/Atom title"`
			Links []atomLink `xml:"http://www.w3.org/2005/Atom link"`
		} `xml:"http://www.w3.org/2005/Atom source"`
	} `xml:"http://www.w3.org/2005/Atom entry"`
}

type atomLink struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom link"`
	Rel     string   `xml:"rel,attr"`
	Href    string   `xml:"href,attr"`
	Type    string   `xml:"type,attr"`
}

func TestWriteAtomStructure(t *testing.T) {
	doc := digestDocument()
	out := writeDigest(t)
	if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("output does not start with an XML declaration: %.60q", out)
	}
	var a atomDoc
	if err := xml.Unmarshal(out, &a); err != nil {
		t.Fatalf("output is not Atom: %v\n%s", err, out)
	}
	if a.Lang != "zh-CN" || a.ID != doc.ID {
		t.Errorf("feed xml:lang %q id %q", a.Lang, a.ID)
	}
	checkRFC3339(t, "feed updated", a.Updated, clock)
	if len(a.Authors) != 1 || a.Authors[0].Name != "feedcurator" {
		t.Errorf("feed authors %+v", a.Authors)
	}
	rels := map[string]string{}
	for _, l := range a.Links {
		rels[l.Rel] = l.Href
	}
	if rels["self"] != "http://127.0.0.1:8080/feed.atom" || rels["alternate"] != "http://127.0.0.1:8080/" {
		t.Errorf("feed links %+v", a.Links)
	}
	if len(a.Entries) != len(doc.Entries) {
		t.Fatalf("%d entries, want %d", len(a.Entries), len(doc.Entries))
	}
	for i, e := range a.Entries {
		want := doc.Entries[i]
		if len(e.ID) != 1 || e.ID[0] != want.ID || len(e.Title) != 1 || e.Title[0] != want.Title {
			t.Errorf("entry %d: ids %q titles %q", i, e.ID, e.Title)
		}
		// Exactly one <category term="…" label="…"/>, with no text.
		if len(e.Categories) != 1 {
			t.Errorf("entry %d: %d categories, want 1", i, len(e.Categories))
		} else {
			c := e.Categories[0]
			switch {
			case c.Term == nil || *c.Term != want.Category.Term:
				t.Errorf("entry %d: category term %v, want %q", i, c.Term, want.Category.Term)
			case c.Label == nil || *c.Label != want.Category.Label:
				t.Errorf("entry %d: category label %v, want %q", i, c.Label, want.Category.Label)
			case strings.TrimSpace(c.InnerXML) != "":
				t.Errorf("entry %d: category has text %q", i, c.InnerXML)
			}
		}
		// <author><name>: every entry has one, so readers need not
		// inherit the feed's.
		if len(e.Authors) != 1 || len(e.Authors[0].Name) != 1 || strings.TrimSpace(e.Authors[0].Name[0]) == "" {
			t.Errorf("entry %d: authors %+v, want one with a name", i, e.Authors)
		}
		// <source> names the feed the entry came from.
		if len(e.Sources) != 1 {
			t.Errorf("entry %d: %d sources, want 1", i, len(e.Sources))
		} else {
			s := e.Sources[0]
			if s.ID != want.Source.ID || s.Title != want.Source.Title {
				t.Errorf("entry %d: source id %q title %q", i, s.ID, s.Title)
			}
			for _, l := range s.Links {
				if !absoluteHTTP(l.Href) {
					t.Errorf("entry %d: source link %q", i, l.Href)
				}
			}
		}
		// RFC 3339 dates, in UTC.
		if len(e.Updated) != 1 {
			t.Errorf("entry %d: %d updated elements", i, len(e.Updated))
		} else {
			wantUpdated := want.Updated
			if wantUpdated.IsZero() {
				wantUpdated = want.Published
			}
			checkRFC3339(t, "entry updated", e.Updated[0], wantUpdated)
		}
		if len(e.Published) != 1 {
			t.Errorf("entry %d: %d published elements", i, len(e.Published))
		} else {
			checkRFC3339(t, "entry published", e.Published[0], want.Published)
		}
		// An alternate link, or else content.
		var alternate int
		for _, l := range e.Links {
			if l.Rel == "alternate" || l.Rel == "" {
				alternate++
				if l.Href != want.Link {
					t.Errorf("entry %d: link %q, want %q", i, l.Href, want.Link)
				}
			}
		}
		if alternate > 1 || (alternate == 0 && len(e.Content) == 0) {
			t.Errorf("entry %d: %d alternate links and %d contents", i, alternate, len(e.Content))
		}
	}
}

func checkRFC3339(t *testing.T, what, s string, want time.Time) {
	t.Helper()
	got, err := time.Parse(time.RFC3339, s)
	switch {
	case err != nil:
		t.Errorf("%s %q is not RFC 3339: %v", what, s, err)
	case !strings.HasSuffix(s, "Z"):
		t.Errorf("%s %q is not in UTC", what, s)
	case !got.Equal(want):
		t.Errorf("%s = %s, want %s", what, s, want.UTC().Format(time.RFC3339))
	}
}

func TestWriteAtomEmpty(t *testing.T) {
	var buf bytes.Buffer
	err := feeds.WriteAtom(&buf, &feeds.Document{ID: "tag:feedcurator.example,2026:empty", Title: "empty", Updated: clock})
	if err != nil {
		t.Fatal(err)
	}
	var a atomDoc
	if err := xml.Unmarshal(buf.Bytes(), &a); err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	if len(a.Entries) != 0 {
		t.Errorf("%d entries", len(a.Entries))
	}
	if _, err := feeds.Parse(&buf, "", "application/atom+xml"); err != nil {
		t.Errorf("Parse(empty Atom): %v", err)
	}
}

// TestWriteAtomSchema validates the golden output against the Atom RELAX NG
// grammar in shared/ when jing is installed.
func TestWriteAtomSchema(t *testing.T) {
	jing, err := exec.LookPath("jing")
	if err != nil {
		t.Skip("jing not on PATH")
	}
	schema := filepath.Join("..", "..", "shared", "atom.rnc")
	if _, err := os.Stat(schema); err != nil {
		t.Skipf("schema: %v", err)
	}
	golden := filepath.Join("testdata", atomGolden)
	out, err := exec.Command(jing, "-c", schema, golden).CombinedOutput()
	if err != nil {
		t.Errorf("jing -c %s %s: %v\n%s", schema, golden, err, out)
	}
}
