package digest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Store is what the digest reads. An issue asks for only what it shows: a
// bounded number of items per section, so building one costs the same
// whatever the size of the store.
type Store interface {
	// DigestItems returns up to limit published items of section whose
	// sort time lies in [from, to), the best first: score descending, then
	// sort time ascending, then ID; with SortTime filled.
	DigestItems(ctx context.Context, section string, from, to time.Time, limit int) ([]feeds.Item, error)
	// DigestSections returns the IDs of the sections that have published
	// items whose sort time lies in [from, to), in ID order.
	DigestSections(ctx context.Context, from, to time.Time) ([]string, error)
}

// DefaultPerSection is the number of items a section shows when
// Options.PerSection is 0: an issue is read by people, and a cap keeps
// the work of building one bounded whatever the store holds.
const DefaultPerSection = 50

// Options configure the digest. Start from DefaultOptions: the zero
// Weekday is Sunday, not "unset".
type Options struct {
	// Title of an issue. {date} stands for its date as 20160701,
	// {iso_date} as 2016-07-01, {week} for its week as 2016-W26.
	Title string
	// Heading is the first line of the Markdown (after "# "), with the same
	// placeholders.
	Heading string

	// An issue is published at the first Weekday, At after midnight, in
	// Location (nil: UTC), after its week ends.
	Weekday  time.Weekday
	At       time.Duration
	Location *time.Location

	// Sections in the order the digest shows them; items of other sections
	// are left out. Empty: every section, by ID.
	Sections []feeds.Section
	// SummaryMax is the length limit of a 要点, in runes (0: none).
	SummaryMax int
	// PerSection caps the items of a section, the best scored first (0:
	// DefaultPerSection).
	PerSection int

	// Dir is the folder Run writes each issue's Markdown to ("" writes
	// none); FileName names the file, with the placeholders of Title.
	Dir      string
	FileName string
	// Jekyll front matter.
	Layout     string
	Categories []string
	Tags       []string

	// Interval is how often Run checks whether an issue is due; 0 disables
	// Run.
	Interval time.Duration

	// HTTPClient fetches the pages of added URLs and checks the links of
	// an issue: the sources' client, with their private-address guard
	// (nil: neither is possible). UserAgent names it.
	HTTPClient *http.Client
	UserAgent  string
	// CheckTimeout bounds each request of AddURL and Check (0: 15s);
	// CheckWorkers the links Check asks at a time (0: 4).
	CheckTimeout time.Duration
	CheckWorkers int
	// TitleKey derives the near-duplicate title key of an added URL's
	// title (the curator's; nil: none).
	TitleKey func(title string) string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// DefaultOptions returns the options of the seeds' digest: issues titled
// 【20160701】一周业内技术动态, published on Mondays at 09:00 UTC.
func DefaultOptions() Options {
	return Options{
		Title:      "【{date}】一周业内技术动态",
		Heading:    "{date}期",
		Weekday:    time.Monday,
		At:         9 * time.Hour,
		Location:   time.UTC,
		SummaryMax: 200,
		FileName:   "{iso_date}-{week}.md",
		Layout:     "post",
		Categories: []string{"周刊"},
		Tags:       []string{"周刊"},
		Interval:   time.Minute,
	}
}

// Builder builds digest issues from the store.
type Builder struct {
	store  Store
	issues IssueStore              // nil: issues are built from the items only
	opts   atomic.Pointer[Options] // replaced whole by SetOptions
	logger zerolog.Logger
}

// New returns a Builder. Empty text options get their defaults.
func New(store Store, opts Options, logger zerolog.Logger) *Builder {
	b := &Builder{
		store:  store,
		logger: logger.With().Str(logkey.Component, "digest").Logger(),
	}
	b.issues, _ = store.(IssueStore)
	b.SetOptions(opts)
	return b
}

// SetOptions replaces the options (on reload). Calls in progress finish
// with the options they started with.
func (b *Builder) SetOptions(opts Options) {
	def := DefaultOptions()
	if opts.Title == "" {
		opts.Title = def.Title
	}
	if opts.Heading == "" {
		opts.Heading = def.Heading
	}
	if opts.FileName == "" {
		opts.FileName = def.FileName
	}
	if opts.Layout == "" {
		opts.Layout = def.Layout
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.PerSection <= 0 {
		opts.PerSection = DefaultPerSection
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 15 * time.Second
	}
	if opts.CheckWorkers <= 0 {
		opts.CheckWorkers = 4
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "feedcurator"
	}
	opts.Sections = append([]feeds.Section(nil), opts.Sections...)
	opts.Categories = append([]string(nil), opts.Categories...)
	opts.Tags = append([]string(nil), opts.Tags...)
	b.opts.Store(&opts)
}

// o returns the options in use.
func (b *Builder) o() *Options { return b.opts.Load() }

// Options returns the options in use, defaults filled in.
func (b *Builder) Options() Options { return *b.o() }

// PublishTime returns when the issue of w is due: the first configured
// weekday and time after w ends.
func (b *Builder) PublishTime(w feeds.Week) time.Time {
	o := b.o()
	next := w.Next().Start(o.Location)
	days := (int(o.Weekday) - int(time.Monday) + 7) % 7
	at := o.At
	// time.Date, not Add: a DST change that day must not shift the hour.
	return time.Date(next.Year(), next.Month(), next.Day()+days,
		int(at/time.Hour), int(at%time.Hour/time.Minute), int(at%time.Minute/time.Second), 0, o.Location)
}

// Latest returns the newest week whose issue is due at now.
func (b *Builder) Latest(now time.Time) feeds.Week {
	o := b.o()
	w := feeds.WeekOf(now.In(o.Location)).Prev()
	if b.PublishTime(w).After(now) {
		w = w.Prev()
	}
	return w
}

// Published reports whether the issue of w is due at now.
func (b *Builder) Published(w feeds.Week, now time.Time) bool {
	return !b.PublishTime(w).After(now)
}

// Build builds the issue of week w, whether or not it is due yet (a week
// still running gives a partial issue): as frozen when it was published,
// from the editor's draft when the week has one, else from the items. An
// issue may have no items.
func (b *Builder) Build(ctx context.Context, w feeds.Week) (*feeds.Issue, error) {
	o := b.o()
	if !w.Valid() {
		return nil, fmt.Errorf("build digest %s: %w", w, feeds.ErrBadWeek)
	}
	if is, _, err := b.stored(ctx, o, w); err != nil {
		return nil, fmt.Errorf("build digest %s: %w", w, err)
	} else if is != nil {
		return is, nil
	}
	is, err := b.build(ctx, o, w)
	if err != nil {
		return nil, fmt.Errorf("build digest %s: %w", w, err)
	}
	return is, nil
}

// build reads the items of week w that its issue shows, section by
// section, and assembles the issue.
func (b *Builder) build(ctx context.Context, o *Options, w feeds.Week) (*feeds.Issue, error) {
	sections, bySection, err := b.read(ctx, o, w)
	if err != nil {
		return nil, err
	}
	return b.assemble(o, w, sections, bySection), nil
}

// read returns the sections of week w's issue and the items of each, the
// best first, up to PerSection.
func (b *Builder) read(ctx context.Context, o *Options, w feeds.Week) ([]feeds.Section, [][]feeds.Item, error) {
	from, to := w.Start(o.Location), w.Next().Start(o.Location)
	sections := o.Sections
	if len(sections) == 0 {
		ids, err := b.store.DigestSections(ctx, from, to)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range ids {
			sections = append(sections, feeds.Section{ID: id, Title: id})
		}
	}
	bySection := make([][]feeds.Item, len(sections))
	for i, s := range sections {
		if s.ID == "" {
			continue // "" is "not classified", never a section
		}
		items, err := b.store.DigestItems(ctx, s.ID, from, to, o.PerSection)
		if err != nil {
			return nil, nil, fmt.Errorf("section %s: %w", s.ID, err)
		}
		if len(items) > o.PerSection {
			items = items[:o.PerSection]
		}
		bySection[i] = items
	}
	return sections, bySection, nil
}

// Issue returns the published issue of week w: one the editor published
// (as it was frozen, due or not), else a due one with items that is not
// held back: the editor's draft when the week has one and auto-publish is
// on for it, the issue built from the items when it has none. Otherwise
// it returns an error wrapping feeds.ErrNotFound.
func (b *Builder) Issue(ctx context.Context, w feeds.Week) (*feeds.Issue, error) {
	o := b.o()
	if !w.Valid() {
		return nil, fmt.Errorf("digest %s: not due: %w", w, feeds.ErrNotFound)
	}
	is, err := b.public(ctx, o, w)
	if err != nil {
		return nil, fmt.Errorf("digest %s: %w", w, err)
	}
	if is == nil {
		return nil, fmt.Errorf("digest %s: not published: %w", w, feeds.ErrNotFound)
	}
	if is.Len() == 0 {
		return nil, fmt.Errorf("digest %s: no items: %w", w, feeds.ErrNotFound)
	}
	return is, nil
}

// public returns the issue of w as the public sees it, nil if it is not
// public (yet).
func (b *Builder) public(ctx context.Context, o *Options, w feeds.Week) (*feeds.Issue, error) {
	is, public, err := b.stored(ctx, o, w)
	if err != nil {
		return nil, err
	}
	if is != nil {
		if !public {
			return nil, nil
		}
		return is, nil
	}
	if !b.Published(w, o.Now()) {
		return nil, nil
	}
	return b.build(ctx, o, w)
}

// Recent returns the public issues (see Issue) of the n newest due weeks
// that have items, and the issues the editor published ahead of their
// week's date, newest week first. Each issue reads only the items it
// shows, so the cost is bounded by n, the sections and
// Options.PerSection, not by the store.
func (b *Builder) Recent(ctx context.Context, n int) ([]*feeds.Issue, error) {
	o := b.o()
	latest := b.Latest(o.Now())
	var weeks []feeds.Week
	if b.issues != nil {
		ws, err := b.issues.PublishedWeeks(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("recent digests: %w", err)
		}
		for _, w := range ws {
			if latest.Before(w) {
				weeks = append(weeks, w) // published ahead of its date
			}
		}
	}
	for w, i := latest, 0; i < n; w, i = w.Prev(), i+1 {
		weeks = append(weeks, w)
	}
	var out []*feeds.Issue
	for _, w := range weeks {
		if len(out) == n {
			break
		}
		is, err := b.public(ctx, o, w)
		if err != nil {
			return nil, fmt.Errorf("recent digests: %s: %w", w, err)
		}
		if is != nil && is.Len() > 0 {
			out = append(out, is)
		}
	}
	return out, nil
}

// assemble builds the issue of w from the items of each section, best
// first as the store returns them.
func (b *Builder) assemble(o *Options, w feeds.Week, sections []feeds.Section, bySection [][]feeds.Item) *feeds.Issue {
	date := b.PublishTime(w)
	is := &feeds.Issue{
		Week:    w,
		Title:   b.expand(o.Title, w, date),
		Heading: b.expand(o.Heading, w, date),
		Date:    date,
		From:    w.Start(o.Location),
		To:      w.Next().Start(o.Location),
		Updated: date,
	}
	for i, s := range sections {
		its := bySection[i]
		if len(its) > o.PerSection {
			its = its[:o.PerSection]
		}
		if len(its) == 0 {
			continue
		}
		sec := feeds.IssueSection{Section: s}
		for _, it := range its {
			sec.Items = append(sec.Items, entry(o, it))
			// The issue changed when one of its own items arrived or
			// changed after its date: items it does not show (cut by
			// PerSection, in no configured section, of another week) never
			// move it.
			for _, t := range []time.Time{it.FetchedAt, it.Updated} {
				if t.After(is.Updated) {
					is.Updated = t
				}
			}
		}
		is.Sections = append(is.Sections, sec)
	}
	return is
}

// entry is how an issue shows an item: plain text, a summary cut to
// o.SummaryMax, a safe link.
func entry(o *Options, it feeds.Item) feeds.IssueItem {
	e := feeds.IssueItem{
		Title:     feeds.PlainText(it.Title),
		Link:      safeLink(it.Link),
		Source:    firstNonEmpty(it.SourceName, it.SourceTitle),
		Published: it.Published,
		Item:      it,
	}
	text := feeds.PlainText(it.Summary)
	if text == "" {
		text = feeds.PlainText(it.Content)
	}
	e.Summary = feeds.Summarize(text, o.SummaryMax)
	if e.Title == "" {
		e.Title = firstNonEmpty(feeds.Summarize(text, 40), e.Link, "(untitled)")
	}
	return e
}

// expand fills the placeholders of a Title, Heading or FileName template.
func (b *Builder) expand(tmpl string, w feeds.Week, date time.Time) string {
	return strings.NewReplacer(
		"{date}", date.Format("20060102"),
		"{iso_date}", date.Format("2006-01-02"),
		"{week}", w.String(),
	).Replace(tmpl)
}

// FileName returns the name of the Markdown file of is.
func (b *Builder) FileName(is *feeds.Issue) (string, error) {
	o := b.o()
	name := b.expand(o.FileName, is.Week, is.Date)
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("digest file name %q is not a plain file name", name)
	}
	return name, nil
}

// safeLink returns link if it is an absolute http(s) URL, else "".
func safeLink(link string) string {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// hostOf returns the host name of an absolute URL, without "www.".
func hostOf(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// ErrEmpty is returned when writing an issue that has no items, and by
// PublishDue for a due week that has none yet.
var ErrEmpty = errors.New("digest issue has no items")
