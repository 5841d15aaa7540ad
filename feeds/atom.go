package feeds

import (
	"encoding/xml"
	"io"
	"strings"
	"time"

	gorilla "github.com/gorilla/feeds"
)

// Document is a feed to be written: the curated view of some Items.
type Document struct {
	ID        string // a stable URI, e.g. a tag: URI
	Title     string
	Subtitle  string
	Lang      string
	Updated   time.Time
	Author    string
	Generator string
	Links     []Link // self, alternate, hub, paging
	Entries   []Entry
}

// Link is an Atom link.
type Link struct {
	Rel  string
	Href string
	Type string
}

// Category is a term with a human label, in a scheme. The three formats
// write it as alike as each allows: Atom as <category term="id"
// scheme="…" label="title">; RSS as <category domain="scheme">id</category>,
// the element's value being the term within the domain's taxonomy (RSS 2.0
// has no label); JSON Feed as the tag "title", what readers show, with the
// whole category in the "_category" extension.
type Category struct {
	Term   string // a stable identifier, e.g. a section id
	Label  string // what readers show, e.g. the section's title
	Scheme string // an IRI naming the set of terms; "" for none
}

// Entry is one written entry.
type Entry struct {
	ID        string
	Title     string
	Link      string // the original article
	Summary   string // HTML
	Content   string // HTML
	Author    string
	Lang      string
	Published time.Time
	Updated   time.Time
	Category  Category
	Source    EntrySource
	Related   []Link // other sources' copies of the same story
}

// EntrySource names the feed an entry came from (Atom's <source>).
type EntrySource struct {
	ID      string // the source feed's URL
	Title   string
	Link    string // the source's website
	SelfURL string // the source feed's URL
	// Updated is when the source feed last changed, as far as is known:
	// Atom requires it of a <source> that has any other metadata
	// (RFC 4287 4.2.11 and 4.1.1).
	Updated time.Time
}

// gorilla/feeds' Atom structs write categories as text, the source as a
// string, a single feed link, and no xml:lang. The types below embed them and
// shadow those fields: encoding/xml lets the shallower field win.

type atomFeed struct {
	gorilla.AtomFeed
	Lang      string             `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Links     []gorilla.AtomLink `xml:"link"`
	Generator string             `xml:"generator,omitempty"`
	Entries   []*atomEntry       `xml:"entry"`
}

type atomEntry struct {
	gorilla.AtomEntry
	Lang     string         `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	Category []atomCategory `xml:"category"`
	Source   *atomSource    `xml:"source,omitempty"`
}

type atomCategory struct {
	Term   string `xml:"term,attr"`
	Scheme string `xml:"scheme,attr,omitempty"`
	Label  string `xml:"label,attr,omitempty"`
}

type atomSource struct {
	ID      string             `xml:"id,omitempty"`
	Title   string             `xml:"title,omitempty"`
	Updated string             `xml:"updated,omitempty"`
	Links   []gorilla.AtomLink `xml:"link"`
}

// WriteAtom writes d as an Atom 1.0 document (RFC 4287).
func WriteAtom(w io.Writer, d *Document) error {
	d = printable(d)
	f := &atomFeed{
		AtomFeed: gorilla.AtomFeed{
			Xmlns:    "http://www.w3.org/2005/Atom",
			Title:    d.Title,
			Id:       d.ID,
			Updated:  rfc3339(d.Updated),
			Subtitle: d.Subtitle,
		},
		Lang:      d.Lang,
		Generator: d.Generator,
	}
	if d.Author != "" {
		f.Author = &gorilla.AtomAuthor{AtomPerson: gorilla.AtomPerson{Name: d.Author}}
	}
	for _, l := range d.Links {
		f.Links = append(f.Links, gorilla.AtomLink{Href: l.Href, Rel: l.Rel, Type: l.Type})
	}
	f.Entries = make([]*atomEntry, 0, len(d.Entries))
	for i := range d.Entries {
		f.Entries = append(f.Entries, newAtomEntry(&d.Entries[i], d.Author))
	}
	return writeXML(w, f)
}

func newAtomEntry(e *Entry, feedAuthor string) *atomEntry {
	updated := e.Updated
	if updated.IsZero() {
		updated = e.Published
	}
	x := &atomEntry{
		AtomEntry: gorilla.AtomEntry{
			Title:   e.Title,
			Id:      e.ID,
			Updated: rfc3339(updated),
		},
		Lang: e.Lang,
	}
	if !e.Published.IsZero() {
		x.Published = rfc3339(e.Published)
	}
	if e.Link != "" {
		x.Links = []gorilla.AtomLink{{Href: e.Link, Rel: "alternate", Type: "text/html"}}
	}
	for _, l := range e.Related {
		x.Links = append(x.Links, gorilla.AtomLink{Href: l.Href, Rel: "related", Type: l.Type})
	}
	if e.Summary != "" {
		x.Summary = &gorilla.AtomSummary{Content: e.Summary, Type: "html"}
	}
	if e.Content != "" {
		x.Content = &gorilla.AtomContent{Content: e.Content, Type: "html"}
	} else if e.Link == "" {
		// RFC 4287 4.1.1: an entry without an alternate link needs content.
		x.Content = &gorilla.AtomContent{Content: e.Summary, Type: "html"}
	}
	author := e.Author
	if author == "" {
		author = e.Source.Title
	}
	if author == "" {
		author = feedAuthor
	}
	if author != "" {
		x.Author = &gorilla.AtomAuthor{AtomPerson: gorilla.AtomPerson{Name: author}}
	}
	if e.Category.Term != "" {
		x.Category = []atomCategory{{Term: e.Category.Term, Scheme: e.Category.Scheme, Label: e.Category.Label}}
	}
	if e.Source.ID != "" || e.Source.Title != "" {
		s := &atomSource{ID: e.Source.ID, Title: e.Source.Title}
		if !e.Source.Updated.IsZero() {
			s.Updated = rfc3339(e.Source.Updated)
		}
		if e.Source.SelfURL != "" {
			s.Links = append(s.Links, gorilla.AtomLink{Href: e.Source.SelfURL, Rel: "self"})
		}
		if e.Source.Link != "" {
			s.Links = append(s.Links, gorilla.AtomLink{Href: e.Source.Link, Rel: "alternate", Type: "text/html"})
		}
		x.Source = s
	}
	return x
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format(time.RFC3339)
}

// writeXML writes v as an indented XML document with its declaration.
func writeXML(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// printable returns d, or a copy of it when any of its text holds a control
// character (C0 but tab, newline and carriage return; DEL; C1): XML 1.0
// forbids most of C0, discourages the rest, and no reader shows them as
// anything but garbage.
func printable(d *Document) *Document {
	if !documentHasControls(d) {
		return d
	}
	c := *d
	c.ID, c.Title, c.Subtitle, c.Lang = dropControls(c.ID), dropControls(c.Title), dropControls(c.Subtitle), dropControls(c.Lang)
	c.Author, c.Generator = dropControls(c.Author), dropControls(c.Generator)
	c.Links = make([]Link, len(d.Links))
	for i, l := range d.Links {
		c.Links[i] = Link{Rel: dropControls(l.Rel), Href: dropControls(l.Href), Type: dropControls(l.Type)}
	}
	c.Entries = make([]Entry, len(d.Entries))
	for i := range d.Entries {
		e := d.Entries[i]
		for _, f := range []*string{&e.ID, &e.Title, &e.Link, &e.Summary, &e.Content, &e.Author, &e.Lang,
			&e.Category.Term, &e.Category.Label, &e.Category.Scheme,
			&e.Source.ID, &e.Source.Title, &e.Source.Link, &e.Source.SelfURL} {
			*f = dropControls(*f)
		}
		e.Related = make([]Link, len(d.Entries[i].Related))
		for j, l := range d.Entries[i].Related {
			e.Related[j] = Link{Rel: dropControls(l.Rel), Href: dropControls(l.Href), Type: dropControls(l.Type)}
		}
		c.Entries[i] = e
	}
	return &c
}

func documentHasControls(d *Document) bool {
	for _, s := range []string{d.ID, d.Title, d.Subtitle, d.Lang, d.Author, d.Generator} {
		if hasControls(s) {
			return true
		}
	}
	for _, l := range d.Links {
		if hasControls(l.Rel) || hasControls(l.Href) || hasControls(l.Type) {
			return true
		}
	}
	for i := range d.Entries {
		e := &d.Entries[i]
		for _, s := range []string{e.ID, e.Title, e.Link, e.Summary, e.Content, e.Author, e.Lang,
			e.Category.Term, e.Category.Label, e.Category.Scheme,
			e.Source.ID, e.Source.Title, e.Source.Link, e.Source.SelfURL} {
			if hasControls(s) {
				return true
			}
		}
		for _, l := range e.Related {
			if hasControls(l.Rel) || hasControls(l.Href) || hasControls(l.Type) {
				return true
			}
		}
	}
	return false
}

// isControl reports whether r is a control character no output carries:
// C0 but tab, newline and carriage return, DEL, and C1 (U+0080 to U+009F).
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f)
}

func hasControls(s string) bool {
	return strings.IndexFunc(s, isControl) >= 0
}

// dropControls returns s without its control characters (see isControl).
func dropControls(s string) string {
	if !hasControls(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}
