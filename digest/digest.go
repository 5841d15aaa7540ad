package digest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// Store is what the digest reads.
type Store interface {
	// PublishedBetween returns the published items whose sort time lies in
	// [from, to), oldest first, with SortTime filled.
	PublishedBetween(ctx context.Context, from, to time.Time) ([]feeds.Item, error)
}

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
	// no cap).
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
	opts   atomic.Pointer[Options] // replaced whole by SetOptions
	logger zerolog.Logger
}

// New returns a Builder. Empty text options get their defaults.
func New(store Store, opts Options, logger zerolog.Logger) *Builder {
	b := &Builder{
		store:  store,
		logger: logger.With().Str(logkey.Component, "digest").Logger(),
	}
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
	if opts.Now == nil {
		opts.Now = time.Now
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

// Build builds the issue of week w from the store, whether or not it is
// due yet (a week still running gives a partial issue). An issue may have
// no items.
func (b *Builder) Build(ctx context.Context, w feeds.Week) (*feeds.Issue, error) {
	o := b.o()
	if !w.Valid() {
		return nil, fmt.Errorf("build digest %s: %w", w, feeds.ErrBadWeek)
	}
	from, to := w.Start(o.Location), w.Next().Start(o.Location)
	items, err := b.store.PublishedBetween(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("build digest %s: %w", w, err)
	}
	return b.assemble(w, items), nil
}

// Issue returns the published issue of week w: one that is due, and has
// items. Otherwise it returns an error wrapping feeds.ErrNotFound.
func (b *Builder) Issue(ctx context.Context, w feeds.Week) (*feeds.Issue, error) {
	o := b.o()
	if !w.Valid() || !b.Published(w, o.Now()) {
		return nil, fmt.Errorf("digest %s: not due: %w", w, feeds.ErrNotFound)
	}
	is, err := b.Build(ctx, w)
	if err != nil {
		return nil, err
	}
	if is.Len() == 0 {
		return nil, fmt.Errorf("digest %s: no items: %w", w, feeds.ErrNotFound)
	}
	return is, nil
}

// Recent returns the issues of the n newest due weeks that have items,
// newest first, with one store query.
func (b *Builder) Recent(ctx context.Context, n int) ([]*feeds.Issue, error) {
	o := b.o()
	if n <= 0 {
		return nil, nil
	}
	latest := b.Latest(o.Now())
	oldest := latest
	for i := 1; i < n; i++ {
		oldest = oldest.Prev()
	}
	items, err := b.store.PublishedBetween(ctx, oldest.Start(o.Location), latest.Next().Start(o.Location))
	if err != nil {
		return nil, fmt.Errorf("recent digests: %w", err)
	}
	byWeek := map[feeds.Week][]feeds.Item{}
	for _, it := range items {
		w := feeds.WeekOf(it.SortTime.In(o.Location))
		byWeek[w] = append(byWeek[w], it)
	}
	var out []*feeds.Issue
	for w, i := latest, 0; i < n; w, i = w.Prev(), i+1 {
		if len(byWeek[w]) > 0 {
			out = append(out, b.assemble(w, byWeek[w]))
		}
	}
	return out, nil
}

func (b *Builder) assemble(w feeds.Week, items []feeds.Item) *feeds.Issue {
	o := b.o()
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
	sections := o.Sections
	if len(sections) == 0 {
		seen := map[string]bool{}
		for _, it := range items {
			if !seen[it.Section] {
				seen[it.Section] = true
				sections = append(sections, feeds.Section{ID: it.Section, Title: it.Section})
			}
		}
		sort.Slice(sections, func(i, j int) bool { return sections[i].ID < sections[j].ID })
	}
	bySection := map[string][]feeds.Item{}
	for _, it := range items {
		bySection[it.Section] = append(bySection[it.Section], it)
		for _, t := range []time.Time{it.FetchedAt, it.Updated} {
			if t.After(is.Updated) {
				is.Updated = t
			}
		}
	}
	for _, s := range sections {
		its := bySection[s.ID]
		if len(its) == 0 {
			continue
		}
		// The best scored first; equal scores in the order they appeared.
		sort.SliceStable(its, func(i, j int) bool {
			if its[i].Score != its[j].Score {
				return its[i].Score > its[j].Score
			}
			if !its[i].SortTime.Equal(its[j].SortTime) {
				return its[i].SortTime.Before(its[j].SortTime)
			}
			return its[i].ID < its[j].ID
		})
		if o.PerSection > 0 && len(its) > o.PerSection {
			its = its[:o.PerSection]
		}
		sec := feeds.IssueSection{Section: s}
		for _, it := range its {
			sec.Items = append(sec.Items, b.entry(it))
		}
		is.Sections = append(is.Sections, sec)
	}
	return is
}

func (b *Builder) entry(it feeds.Item) feeds.IssueItem {
	o := b.o()
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// ErrEmpty is returned when writing an issue that has no items.
var ErrEmpty = errors.New("digest issue has no items")
