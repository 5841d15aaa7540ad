package publisher

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// contentTypes of the feed formats.
var contentTypes = map[string]string{
	"atom": "application/atom+xml; charset=utf-8",
	"rss":  "application/rss+xml; charset=utf-8",
	"json": "application/feed+json; charset=utf-8",
}

// linkTypes are the media types of the feed formats, for link elements.
var linkTypes = map[string]string{
	"atom": "application/atom+xml",
	"rss":  "application/rss+xml",
	"json": "application/feed+json",
}

// Feed returns the document of a view in a format ("atom", "rss" or
// "json"): its first page when before is the zero Cursor, else the page of
// the items older than before. It is rendered once per change of the store
// and served from memory in between.
func (p *Publisher) Feed(ctx context.Context, view, format string, before feeds.Cursor) (*Rendered, error) {
	if !validFormat(format) {
		return nil, fmt.Errorf("feed %s.%s: unknown format", view, format)
	}
	key := "feed:" + view + "." + format
	if !before.IsZero() {
		key += "?before=" + before.String()
	}
	return p.get(ctx, key, contentTypes[format], func(ctx context.Context, s snapshot) ([]byte, time.Time, error) {
		if !hasView(s.opts, view) {
			return nil, time.Time{}, fmt.Errorf("feed %s: no such view", view)
		}
		return p.renderFeed(ctx, s, view, format, before, false)
	})
}

// renderFeed renders a view; static leaves out the paging links, which a
// static copy cannot serve.
func (p *Publisher) renderFeed(ctx context.Context, s snapshot, view, format string, before feeds.Cursor, static bool) ([]byte, time.Time, error) {
	var (
		d   *feeds.Document
		err error
	)
	if view == DigestView {
		d, err = p.digestDocument(ctx, s, format)
	} else {
		d, err = p.viewDocument(ctx, s, view, format, before, static)
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	var buf bytes.Buffer
	switch format {
	case "atom":
		err = feeds.WriteAtom(&buf, d)
	case "rss":
		err = feeds.WriteRSS(&buf, d)
	case "json":
		err = feeds.WriteJSONFeed(&buf, d)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("write %s of %s: %w", format, view, err)
	}
	return buf.Bytes(), d.Updated, nil
}

// FeedURL returns the public URL of a view's feed in a format, at a page.
func (p *Publisher) FeedURL(view, format string, before feeds.Cursor) string {
	return feedURL(p.options(), view, format, before)
}

func feedURL(opts Options, view, format string, before feeds.Cursor) string {
	u := opts.BaseURL + "/feeds/" + view + "." + format
	if !before.IsZero() {
		u += "?before=" + url.QueryEscape(before.String())
	}
	return u
}

func digestURL(opts Options, w feeds.Week, ext string) string {
	return opts.BaseURL + "/digest/" + w.String() + "." + ext
}

func viewTitle(opts Options, view string) string {
	switch view {
	case AllView:
		return opts.Title
	case DigestView:
		return opts.Title + " · " + opts.DigestTitle
	}
	for _, s := range opts.Sections {
		if s.ID == view {
			return opts.Title + " · " + s.Title
		}
	}
	return opts.Title + " · " + view
}

// baseDocument is a view's document without entries: its id, title and
// links (self, the page, the hub).
func baseDocument(opts Options, view, format string, before feeds.Cursor) *feeds.Document {
	home := opts.BaseURL + "/"
	if view != AllView && view != DigestView {
		home += "#" + view
	}
	d := &feeds.Document{
		ID:        "tag:" + opts.tagAuthority + ":feed/" + view,
		Title:     viewTitle(opts, view),
		Subtitle:  opts.Subtitle,
		Lang:      opts.Lang,
		Author:    opts.Author,
		Generator: "feedcurator",
		Links: []feeds.Link{
			{Rel: "self", Href: feedURL(opts, view, format, before), Type: linkTypes[format]},
			{Rel: "alternate", Href: home, Type: "text/html"},
		},
	}
	// WebSub subscribers subscribe to the first page: the topic.
	if opts.Hub != "" && before.IsZero() {
		d.Links = append(d.Links, feeds.Link{Rel: "hub", Href: opts.Hub})
	}
	return d
}

// viewDocument holds one page of a view's items. RFC 5005 paging: every
// page links to the first page (rel="first") and, when older items exist,
// to the page of the items after its last one (rel="next"), by keyset
// cursor, so the pages stay put as new items arrive.
func (p *Publisher) viewDocument(ctx context.Context, s snapshot, view, format string, before feeds.Cursor, static bool) (*feeds.Document, error) {
	opts := s.opts
	section := view
	if view == AllView {
		section = ""
	}
	items, err := p.store.PublishedItems(ctx, section, before, opts.Items+1)
	if err != nil {
		return nil, fmt.Errorf("load items of %s: %w", view, err)
	}
	more := len(items) > opts.Items
	if more {
		items = items[:opts.Items]
	}
	d := baseDocument(opts, view, format, before)
	if !static && (more || !before.IsZero()) {
		d.Links = append(d.Links, feeds.Link{Rel: "first", Href: feedURL(opts, view, format, feeds.Cursor{}), Type: linkTypes[format]})
		if more {
			next := feeds.CursorOf(&items[len(items)-1])
			d.Links = append(d.Links, feeds.Link{Rel: "next", Href: feedURL(opts, view, format, next), Type: linkTypes[format]})
		}
	}
	titles := sectionTitles(opts)
	d.Entries = make([]feeds.Entry, 0, len(items))
	for i := range items {
		e := p.itemEntry(opts, &items[i], titles)
		if e.Updated.After(d.Updated) {
			d.Updated = e.Updated
		}
		d.Entries = append(d.Entries, e)
	}
	if d.Updated.IsZero() {
		d.Updated = time.Unix(0, 0).UTC()
	}
	return d, nil
}

func sectionTitles(opts Options) map[string]string {
	titles := make(map[string]string, len(opts.Sections))
	for _, s := range opts.Sections {
		titles[s.ID] = s.Title
	}
	return titles
}

// itemEntry turns a stored item into an entry: a tag: id that never
// changes, sanitised HTML, the source it came from.
func (p *Publisher) itemEntry(opts Options, it *feeds.Item, titles map[string]string) feeds.Entry {
	e := feeds.Entry{
		ID:        itemID(opts, it),
		Title:     plainTitle(it.Title),
		Link:      safeURL(it.Link),
		Summary:   p.sanitize(it.Summary, it.Link),
		Content:   p.sanitize(it.Content, it.Link),
		Author:    it.Author,
		Lang:      it.Lang,
		Published: it.Published,
		Updated:   entryUpdated(it),
		Category:  feeds.Category{Term: it.Section, Label: titles[it.Section], Scheme: sectionScheme(opts)},
		Source:    entrySource(opts, it),
	}
	if e.Category.Label == "" {
		e.Category.Label = it.Section
	}
	if len(it.AlsoIn) > 0 {
		e.Summary += alsoIn(opts.Lang, it.AlsoIn)
		for _, m := range it.AlsoIn {
			if u := safeURL(m.Link); u != "" {
				e.Related = append(e.Related, feeds.Link{Rel: "related", Href: u, Type: "text/html"})
			}
		}
	}
	if e.Title == "" {
		e.Title = firstNonEmpty(feeds.Summarize(feeds.PlainText(e.Summary), 60), "(untitled)")
	}
	if e.Published.IsZero() {
		e.Published = e.Updated
	}
	return e
}

// itemID is an entry's id: a tag: URI (RFC 4151) from the kept authority
// (see Publisher.authority), the source's row and the item's key within
// it, all of which outlive restarts, a new base_url and a new source URL.
func itemID(opts Options, it *feeds.Item) string {
	return "tag:" + opts.tagAuthority + ":item/" + strconv.FormatInt(it.SourceID, 10) + "/" + keyHash(it.Key)
}

// sourceID names the feed an entry came from in Atom's <source>: by its
// row, not its URL, which may hold credentials and may change.
func sourceID(opts Options, it *feeds.Item) string {
	return "tag:" + opts.tagAuthority + ":source/" + strconv.FormatInt(it.SourceID, 10)
}

// sectionScheme is the scheme of the section categories: where the site's
// section pages are (scheme + term + ".html" is one).
func sectionScheme(opts Options) string {
	return opts.BaseURL + "/sections/"
}

// entrySource describes the feed an item came from without anything
// private in its URL: a feed URL holding credentials (user:password@, or a
// token in its query) is left out when the source's website can stand for
// it, and published redacted (feeds.RedactURL) otherwise.
func entrySource(opts Options, it *feeds.Item) feeds.EntrySource {
	src := feeds.EntrySource{
		ID:      sourceID(opts, it),
		Title:   firstNonEmpty(it.SourceName, it.SourceTitle),
		Link:    safeURL(it.SourceLink),
		Updated: sourceUpdated(it),
	}
	if u := safeURL(it.SourceURL); u != "" {
		if r := feeds.RedactURL(u); r == u || src.Link == "" {
			src.SelfURL = r
		}
	}
	return src
}

// sourceUpdated is the <updated> of an entry's source: the source feed as
// it was when the item was taken from it (RFC 4287 4.2.11 keeps the source
// feed's metadata as of the copy), which is the fetch that brought the
// item. It does not move with every later poll, so the entry stays put.
func sourceUpdated(it *feeds.Item) time.Time {
	if !it.FetchedAt.IsZero() {
		return it.FetchedAt
	}
	return entryUpdated(it)
}

// digestDocument lists the newest digest issues, one entry each, linking
// to the issue's page.
func (p *Publisher) digestDocument(ctx context.Context, s snapshot, format string) (*feeds.Document, error) {
	opts := s.opts
	issues, err := s.digest.Recent(ctx, opts.DigestIssues)
	if err != nil {
		return nil, err
	}
	d := baseDocument(opts, DigestView, format, feeds.Cursor{})
	for _, is := range issues {
		e := feeds.Entry{
			ID:        "tag:" + opts.tagAuthority + ":digest/" + is.Week.String(),
			Title:     is.Title,
			Link:      digestURL(opts, is.Week, "html"),
			Summary:   issueSummary(is),
			Content:   issueHTML(is),
			Author:    opts.Author,
			Lang:      opts.Lang,
			Published: is.Date,
			Updated:   is.Updated,
			Category:  feeds.Category{Term: DigestView, Label: opts.DigestTitle},
		}
		if e.Updated.After(d.Updated) {
			d.Updated = e.Updated
		}
		d.Entries = append(d.Entries, e)
	}
	if d.Updated.IsZero() {
		d.Updated = time.Unix(0, 0).UTC()
	}
	return d, nil
}

// issueSummary lists an issue's sections and item counts as plain text.
func issueSummary(is *feeds.Issue) string {
	parts := make([]string, 0, len(is.Sections))
	for _, s := range is.Sections {
		parts = append(parts, fmt.Sprintf("%s（%d）", s.Title, len(s.Items)))
	}
	return htmlEscape(strings.Join(parts, "、"))
}

func entryUpdated(it *feeds.Item) time.Time {
	for _, t := range []time.Time{it.Updated, it.Published, it.FetchedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Unix(0, 0).UTC()
}

// tagAuthority is the tagging entity of the tag: URIs (RFC 4151) that name
// feeds and entries as base would have it: its host and a fixed year. The
// publisher uses the one of the first base URL it ran with on a store (see
// Publisher.authority), so that ids change neither across restarts nor
// when the site moves.
func tagAuthority(base string) string {
	host := "localhost"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = strings.ToLower(u.Hostname())
	}
	return host + ",2026"
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:10])
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// alsoIn is the paragraph that lists the other sources of a story published
// once: "也见于：A、B" in Chinese feeds, "Also in: A, B" otherwise.
func alsoIn(lang string, ms []feeds.Mention) string {
	label, sep := "Also in: ", ", "
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		label, sep = "也见于：", "、"
	}
	var b strings.Builder
	b.WriteString("<p>")
	b.WriteString(label)
	for i, m := range ms {
		if i > 0 {
			b.WriteString(sep)
		}
		name := html.EscapeString(m.Source)
		if u := safeURL(m.Link); u != "" {
			b.WriteString(`<a href="` + html.EscapeString(u) + `">` + name + `</a>`)
		} else {
			b.WriteString(name)
		}
	}
	b.WriteString("</p>")
	return b.String()
}
