package publisher

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/feedcurator/feedcurator/feeds"
)

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"inc":  func(i int) int { return i + 1 },
	"when": when,
}).ParseFS(templateFiles, "templates/*.html"))

// when is a time as the pages show it: to the minute, with its zone, e.g.
// "2016-06-27 16:30 CST", or "+08:00" for a zone without an abbreviation.
func when(t time.Time) string {
	zone, _ := t.Zone()
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		zone = t.Format("-07:00")
	}
	return t.Format("2006-01-02 15:04") + " " + zone
}

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
	Lang                         string // when it differs from the page's
	Date                         time.Time
}

type pageSection struct {
	feeds.Section
	Feeds []feedLink
	Items []pageItem
	More  string // the section's page, when it has more items than shown
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
		// One more than shown tells whether the section page has more.
		items, err := p.store.PublishedItems(ctx, sec.ID, feeds.Cursor{}, opts.PageItems+1)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("load items of %s: %w", sec.ID, err)
		}
		ps := pageSection{Section: sec, Feeds: feedLinks(opts, sec.ID)}
		if len(items) > opts.PageItems {
			items = items[:opts.PageItems]
			ps.More = sectionURL(opts, sec.ID, feeds.Cursor{})
		}
		for i := range items {
			it := &items[i]
			if u := entryUpdated(it); u.After(data.Updated) {
				data.Updated = u
			}
			ps.Items = append(ps.Items, newPageItem(opts, it))
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

// newPageItem is an item as the pages show it: plain text, its date in the
// configured time zone, its language where it is not the page's.
func newPageItem(opts Options, it *feeds.Item) pageItem {
	text := feeds.PlainText(it.Summary)
	if text == "" {
		text = feeds.PlainText(it.Content)
	}
	text = printable(text)
	pi := pageItem{
		Title:   printable(plainTitle(it.Title)),
		Link:    safeURL(it.Link),
		Source:  printable(firstNonEmpty(it.SourceName, it.SourceTitle)),
		Summary: feeds.Summarize(text, summaryRunes),
		Date:    it.Published,
	}
	if pi.Date.IsZero() {
		pi.Date = it.SortTime
	}
	pi.Date = pi.Date.In(opts.Location)
	if pi.Title == "" {
		pi.Title = firstNonEmpty(feeds.Summarize(text, 60), "(untitled)")
	}
	pi.Lang = itemLang(opts.Lang, it.Lang, pi.Title)
	return pi
}

// itemLang is the lang attribute of an item on a page in pageLang: the
// item's language where it differs, "" where it is the page's. An item of
// unknown language on a Chinese, Japanese or Korean page whose title is in
// Latin letters only is taken to be English, so that browsers and screen
// readers do not read it as Chinese.
func itemLang(pageLang, lang, title string) string {
	if lang == "" {
		if !cjkLang(pageLang) || !latinOnly(title) {
			return ""
		}
		lang = "en"
	}
	if sameLang(pageLang, lang) {
		return ""
	}
	return lang
}

// sameLang reports whether language tags a and b name the same language
// for the page's purpose: equal, or one a prefix of the other ("zh" and
// "zh-CN").
func sameLang(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	return a == b || strings.HasPrefix(a, b+"-") || strings.HasPrefix(b, a+"-")
}

func cjkLang(tag string) bool {
	primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
	return primary == "zh" || primary == "ja" || primary == "ko"
}

// latinOnly reports whether s has letters and all of them are Latin.
func latinOnly(s string) bool {
	letters := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if !unicode.Is(unicode.Latin, r) {
				return false
			}
			letters = true
		}
	}
	return letters
}

type sectionData struct {
	Lang, Title, SiteTitle, Home string
	Section                      pageSection
	Alternates                   []alternate
	Older, First                 string
}

func sectionURL(opts Options, id string, before feeds.Cursor) string {
	u := opts.BaseURL + "/sections/" + id + ".html"
	if !before.IsZero() {
		u += "?before=" + url.QueryEscape(before.String())
	}
	return u
}

// SectionPage returns the HTML page of a section's items, newest first,
// Options.Items of them from before (the zero Cursor: from the newest),
// linking to the page of the older ones: every published item is reachable
// from the site's page this way.
func (p *Publisher) SectionPage(ctx context.Context, id string, before feeds.Cursor) (*Rendered, error) {
	key := "section:" + id
	if !before.IsZero() {
		key += "?before=" + before.String()
	}
	return p.get(ctx, key, "text/html; charset=utf-8", func(ctx context.Context, s snapshot) ([]byte, time.Time, error) {
		return p.renderSection(ctx, s, id, before, false)
	})
}

// renderSection renders a section page; static leaves out the link to the
// older items, which a static copy cannot serve.
func (p *Publisher) renderSection(ctx context.Context, s snapshot, id string, before feeds.Cursor, static bool) ([]byte, time.Time, error) {
	opts := s.opts
	var sec *feeds.Section
	for i := range opts.Sections {
		if opts.Sections[i].ID == id {
			sec = &opts.Sections[i]
		}
	}
	if sec == nil {
		return nil, time.Time{}, fmt.Errorf("section %s: %w", id, feeds.ErrNotFound)
	}
	items, err := p.store.PublishedItems(ctx, id, before, opts.Items+1)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("load items of %s: %w", id, err)
	}
	data := sectionData{
		Lang:       opts.Lang,
		Title:      sec.Title + " · " + opts.Title,
		SiteTitle:  opts.Title,
		Home:       opts.BaseURL + "/",
		Section:    pageSection{Section: *sec, Feeds: feedLinks(opts, id)},
		Alternates: alternates(opts),
	}
	if len(items) > opts.Items {
		items = items[:opts.Items]
		if !static {
			data.Older = sectionURL(opts, id, feeds.CursorOf(&items[len(items)-1]))
		}
	}
	if !before.IsZero() {
		data.First = sectionURL(opts, id, feeds.Cursor{})
	}
	var modified time.Time
	for i := range items {
		if u := entryUpdated(&items[i]); u.After(modified) {
			modified = u
		}
		data.Section.Items = append(data.Section.Items, newPageItem(opts, &items[i]))
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "section.html", data); err != nil {
		return nil, time.Time{}, fmt.Errorf("render section %s: %w", id, err)
	}
	return buf.Bytes(), modified, nil
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
	// The list is public: no source URL's credentials go in it (a feed
	// URL holding a token stays unsubscribable, but is not given away).
	var modified time.Time
	for i := range sources {
		src := &sources[i]
		src.ConfigURL = feeds.RedactURL(src.ConfigURL)
		src.State.URL = feeds.RedactURL(src.State.URL)
		if src.Name == "" && src.State.FeedTitle == "" {
			src.Name = src.ConfigURL
		}
		if src.State.LastSuccess.After(modified) {
			modified = src.State.LastSuccess
		}
	}
	var buf bytes.Buffer
	// No dateCreated: the document would change on every render.
	if err := feeds.WriteOPML(&buf, &feeds.OPML{Title: s.opts.Title, Sources: sources}); err != nil {
		return nil, time.Time{}, fmt.Errorf("write opml: %w", err)
	}
	// What the list says of a source (its website, its language) changes
	// only when it is fetched; a list whose bytes change otherwise (a
	// source renamed in the configuration) gets a later Last-Modified from
	// newRendered. Without any fetch yet, the list is as of now.
	if modified.IsZero() {
		modified = s.opts.Now()
	}
	return buf.Bytes(), modified, nil
}
