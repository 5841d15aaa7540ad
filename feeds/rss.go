package feeds

import (
	"encoding/xml"
	"io"
	"time"
)

// RSS 2.0 has no ids for feeds, no rel="self", paging or hub links, and an
// <author> that must be an e-mail address. The usual extensions fill the
// gaps: atom:link for the links (RFC 5005 and WebSub both allow it),
// dc:creator for author names, content:encoded for full text.

type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	AtomNS    string     `xml:"xmlns:atom,attr"`
	DCNS      string     `xml:"xmlns:dc,attr"`
	ContentNS string     `xml:"xmlns:content,attr"`
	Channel   rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string     `xml:"title"`
	Link          string     `xml:"link"`
	Description   string     `xml:"description"`
	Language      string     `xml:"language,omitempty"`
	LastBuildDate string     `xml:"lastBuildDate,omitempty"`
	Generator     string     `xml:"generator,omitempty"`
	Links         []rssLink  `xml:"atom:link"`
	Items         []*rssItem `xml:"item"`
}

type rssLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type rssItem struct {
	Title       string       `xml:"title,omitempty"`
	Link        string       `xml:"link,omitempty"`
	Description string       `xml:"description,omitempty"`
	Content     string       `xml:"content:encoded,omitempty"`
	Creator     string       `xml:"dc:creator,omitempty"`
	Category    *rssCategory `xml:"category,omitempty"`
	GUID        rssGUID      `xml:"guid"`
	PubDate     string       `xml:"pubDate,omitempty"`
	Source      *rssSource   `xml:"source,omitempty"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	ID          string `xml:",chardata"`
}

type rssCategory struct {
	Domain string `xml:"domain,attr,omitempty"`
	Term   string `xml:",chardata"`
}

type rssSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

// WriteRSS writes d as an RSS 2.0 document. Entry ids become guids with
// isPermaLink="false"; the document's links become atom:link elements, so
// rel="self", rel="hub" and RFC 5005 paging links survive; the channel's
// <link> is the document's rel="alternate" link.
//
// An entry's category is written as <category domain="scheme">term</category>
// (the term within the scheme's taxonomy, as RSS 2.0 defines the element),
// or, without a scheme, as the label that readers show.
func WriteRSS(w io.Writer, d *Document) error {
	d = printable(d)
	desc := d.Subtitle
	if desc == "" {
		desc = d.Title
	}
	ch := rssChannel{
		Title:       d.Title,
		Link:        d.Link("alternate"),
		Description: desc,
		Language:    d.Lang,
		Generator:   d.Generator,
	}
	if !d.Updated.IsZero() {
		ch.LastBuildDate = rfc1123(d.Updated)
	}
	for _, l := range d.Links {
		if l.Rel == "alternate" {
			continue
		}
		typ := l.Type
		if l.Rel == "self" || l.Rel == "next" || l.Rel == "first" || l.Rel == "previous" {
			typ = "application/rss+xml"
		}
		ch.Links = append(ch.Links, rssLink{Href: l.Href, Rel: l.Rel, Type: typ})
	}
	ch.Items = make([]*rssItem, 0, len(d.Entries))
	for i := range d.Entries {
		e := &d.Entries[i]
		it := &rssItem{
			Title:   e.Title,
			Link:    e.Link,
			Creator: e.Author,
			GUID:    rssGUID{IsPermaLink: "false", ID: e.ID},
		}
		if it.Creator == "" {
			it.Creator = e.Source.Title
		}
		switch c := e.Category; {
		case c.Scheme != "" && c.Term != "":
			it.Category = &rssCategory{Domain: c.Scheme, Term: c.Term}
		case c.Label != "":
			it.Category = &rssCategory{Term: c.Label}
		case c.Term != "":
			it.Category = &rssCategory{Term: c.Term}
		}
		// The description is the short text; content:encoded carries the
		// full text when there is more.
		switch {
		case e.Summary != "":
			it.Description = e.Summary
			if e.Content != "" && e.Content != e.Summary {
				it.Content = e.Content
			}
		default:
			it.Description = e.Content
		}
		date := e.Published
		if date.IsZero() {
			date = e.Updated
		}
		if !date.IsZero() {
			it.PubDate = rfc1123(date)
		}
		// RSS's <source> needs a url: the feed's, else the site's.
		if u := firstNonEmpty(e.Source.SelfURL, e.Source.Link); u != "" {
			it.Source = &rssSource{URL: u, Title: e.Source.Title}
		}
		ch.Items = append(ch.Items, it)
	}
	doc := rssDoc{
		Version:   "2.0",
		AtomNS:    "http://www.w3.org/2005/Atom",
		DCNS:      "http://purl.org/dc/elements/1.1/",
		ContentNS: "http://purl.org/rss/1.0/modules/content/",
		Channel:   ch,
	}
	return writeXML(w, doc)
}

// Link returns the href of d's first link with relation rel, or "".
func (d *Document) Link(rel string) string {
	for _, l := range d.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// rfc1123 formats t as RSS wants it (RFC 822 with a four-digit year), in UTC.
func rfc1123(t time.Time) string {
	return t.UTC().Format(time.RFC1123Z)
}
