package publisher

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
}).ParseFS(templateFiles, "templates/*.html"))

// summaryRunes is the length of the summaries on the page.
const summaryRunes = 140

type alternate struct {
	Type        template.HTMLAttr // type="…", written as is: html/template would escape its "+"
	Title, Href string
}

type feedLink struct {
	Name string
	Type template.HTMLAttr
	Href string
}

// typeAttr is the type attribute of a link to a feed format: a constant
// of linkTypes, so trusted.
func typeAttr(format string) template.HTMLAttr {
	return template.HTMLAttr(`type="` + linkTypes[format] + `"`)
}

type feedRow struct {
	Title string
	Links []feedLink
}

type pageItem struct {
	Title, Link, Source, Summary string
	Date                         time.Time
}

type pageSection struct {
	feeds.Section
	Feeds []feedLink
	Items []pageItem
}

type issueLink struct {
	Title, Href string
}

type indexData struct {
	Lang, Title, Subtitle, DigestTitle string
	Updated                            time.Time
	Alternates                         []alternate
	Sections                           []pageSection
	Feeds                              []feedRow
	Issues                             []issueLink
	OPML                               string
}

// formatNames name the formats in link titles; shortNames on the page.
var (
	formatNames = map[string]string{"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}
	shortNames  = map[string]string{"atom": "Atom", "rss": "RSS", "json": "JSON"}
)

// feedLinks are a view's feeds in every format.
func feedLinks(opts Options, view string) []feedLink {
	links := make([]feedLink, 0, len(Formats))
	for _, f := range Formats {
		links = append(links, feedLink{Name: shortNames[f], Type: typeAttr(f), Href: feedURL(opts, view, f, feeds.Cursor{})})
	}
	return links
}

// alternates are the <link rel="alternate"> elements that let browsers and
// readers discover every feed from the page.
func alternates(opts Options) []alternate {
	var out []alternate
	for _, v := range views(opts) {
		for _, f := range Formats {
			out = append(out, alternate{
				Type:  typeAttr(f),
				Title: viewTitle(opts, v) + " (" + formatNames[f] + ")",
				Href:  feedURL(opts, v, f, feeds.Cursor{}),
			})
		}
	}
	return out
}

// Page returns the HTML page of the site's root: the newest items of each
// section, links to every feed, and the recent digest issues.
func (p *Publisher) Page(ctx context.Context) (*Rendered, error) {
	return p.get(ctx, "page:index", "text/html; charset=utf-8", p.renderIndex)
}

func (p *Publisher) renderIndex(ctx context.Context, s snapshot) ([]byte, time.Time, error) {
	opts := s.opts
	loc := opts.Location
	data := indexData{
		Lang:        opts.Lang,
		Title:       opts.Title,
		Subtitle:    opts.Subtitle,
		DigestTitle: opts.DigestTitle,
		Alternates:  alternates(opts),
		OPML:        opts.BaseURL + "/sources.opml",
	}
	titles := sectionTitles(opts)
	for _, v := range views(opts) {
		label := titles[v]
		switch v {
		case AllView:
			label = "全部"
		case DigestView:
			label = opts.DigestTitle
		}
		data.Feeds = append(data.Feeds, feedRow{Title: label, Links: feedLinks(opts, v)})
	}
	for _, sec := range opts.Sections {
		items, err := p.store.PublishedItems(ctx, sec.ID, feeds.Cursor{}, opts.PageItems)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("load items of %s: %w", sec.ID, err)
		}
		ps := pageSection{Section: sec, Feeds: feedLinks(opts, sec.ID)}
		for i := range items {
			it := &items[i]
			text := feeds.PlainText(it.Summary)
			if text == "" {
				text = feeds.PlainText(it.Content)
			}
			pi := pageItem{
				Title:   plainTitle(it.Title),
				Link:    safeURL(it.Link),
				Source:  firstNonEmpty(it.SourceName, it.SourceTitle),
				Summary: feeds.Summarize(text, summaryRunes),
				Date:    it.Published,
			}
			if pi.Date.IsZero() {
				pi.Date = it.SortTime
			}
			pi.Date = pi.Date.In(loc)
			if pi.Title == "" {
				pi.Title = firstNonEmpty(feeds.Summarize(text, 60), "(untitled)")
			}
			if u := entryUpdated(it); u.After(data.Updated) {
				data.Updated = u
			}
			ps.Items = append(ps.Items, pi)
		}
		data.Sections = append(data.Sections, ps)
	}
	issues, err := s.digest.Recent(ctx, opts.DigestIssues)
	if err != nil {
		return nil, time.Time{}, err
	}
	for _, is := range issues {
		data.Issues = append(data.Issues, issueLink{Title: is.Title, Href: digestURL(opts, is.Week, "html")})
		if is.Updated.After(data.Updated) {
			data.Updated = is.Updated
		}
	}
	if !data.Updated.IsZero() {
		data.Updated = data.Updated.In(loc)
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "index.html", data); err != nil {
		return nil, time.Time{}, fmt.Errorf("render page: %w", err)
	}
	return buf.Bytes(), data.Updated, nil
}

type digestData struct {
	Lang, Title, Heading, SiteTitle, Home, Markdown string
	Alternates                                      []alternate
	Feeds                                           []feedLink
	Issue                                           *feeds.Issue
}

// DigestPage returns the issue of week w as an HTML page (ext "html") or
// as its Jekyll Markdown (ext "md"). A week not yet due, or without items,
// is an error wrapping feeds.ErrNotFound.
func (p *Publisher) DigestPage(ctx context.Context, w feeds.Week, ext string) (*Rendered, error) {
	ctype := "text/html; charset=utf-8"
	if ext == "md" {
		ctype = "text/markdown; charset=utf-8"
	} else if ext != "html" {
		return nil, fmt.Errorf("digest %s.%s: %w", w, ext, feeds.ErrNotFound)
	}
	return p.get(ctx, "digest:"+w.String()+"."+ext, ctype, func(ctx context.Context, s snapshot) ([]byte, time.Time, error) {
		is, err := s.digest.Issue(ctx, w)
		if err != nil {
			return nil, time.Time{}, err
		}
		body, err := renderIssue(s, is, ext)
		return body, is.Updated, err
	})
}

func renderIssue(s snapshot, is *feeds.Issue, ext string) ([]byte, error) {
	if ext == "md" {
		return s.digest.Markdown(is), nil
	}
	opts := s.opts
	data := digestData{
		Lang:       opts.Lang,
		Title:      is.Title,
		Heading:    is.Heading,
		SiteTitle:  opts.Title,
		Home:       opts.BaseURL + "/",
		Markdown:   digestURL(opts, is.Week, "md"),
		Alternates: alternates(opts),
		Feeds:      feedLinks(opts, DigestView),
		Issue:      is,
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "digest.html", data); err != nil {
		return nil, fmt.Errorf("render digest %s: %w", is.Week, err)
	}
	return buf.Bytes(), nil
}

// issueHTML is the body of an issue as an HTML fragment, for the content
// of its entry in the digest feed.
func issueHTML(is *feeds.Issue) string {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "issue", is); err != nil {
		// The template is fixed and its data plain strings: this is a bug.
		panic(fmt.Sprintf("render issue %s: %v", is.Week, err))
	}
	return buf.String()
}

// OPML returns the subscribed sources as an OPML 2.0 document.
func (p *Publisher) OPML(ctx context.Context) (*Rendered, error) {
	return p.get(ctx, "opml", "text/x-opml; charset=utf-8", p.renderOPML)
}

func (p *Publisher) renderOPML(ctx context.Context, s snapshot) ([]byte, time.Time, error) {
	sources, err := p.store.Sources(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	var buf bytes.Buffer
	// No dateCreated: the document would change on every render.
	if err := feeds.WriteOPML(&buf, &feeds.OPML{Title: s.opts.Title, Sources: sources}); err != nil {
		return nil, time.Time{}, fmt.Errorf("write opml: %w", err)
	}
	return buf.Bytes(), time.Time{}, nil
}
