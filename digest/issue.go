package digest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// IssueStore keeps the editor's issues. A Store that also satisfies it
// (as *sqlite.DB does) makes the Builder serve each week's issue from it:
// a published issue exactly as it was frozen, a draft as the editor left
// it; a week without a stored issue is built from the items as before.
type IssueStore interface {
	// SyncIssue creates w's draft from candidates, accepted in the order
	// given, or adds to an existing issue the candidates it lacks as
	// "later" entries at the end of their section; it returns how many
	// entries it added.
	SyncIssue(ctx context.Context, w feeds.Week, candidates []feeds.IssueEntry, now time.Time) (int, error)
	// EditedIssue returns w's issue with its entries, feeds.ErrNotFound
	// if there is none.
	EditedIssue(ctx context.Context, w feeds.Week) (*feeds.EditedIssue, error)
	// AddIssueEntry adds an accepted entry at the end of its section.
	AddIssueEntry(ctx context.Context, w feeds.Week, e feeds.IssueEntry, now time.Time) (int64, error)
	// PublishIssue freezes is as w's published issue and returns its new
	// revision.
	PublishIssue(ctx context.Context, w feeds.Week, is *feeds.Issue, now time.Time) (int, error)
	// FrozenIssue returns w's issue as last published, an error wrapping
	// feeds.ErrNotFound if it was never published.
	FrozenIssue(ctx context.Context, w feeds.Week) (*feeds.Issue, error)
	// PublishedWeeks returns the weeks of up to limit published issues,
	// newest first.
	PublishedWeeks(ctx context.Context, limit int) ([]feeds.Week, error)
	// FeaturedEarlier returns the accepted entries of w's issue whose
	// article an earlier published issue featured.
	FeaturedEarlier(ctx context.Context, w feeds.Week) ([]feeds.Featured, error)
}

// candidates returns the week's candidates as today's digest chooses
// them: per section in the configured order, the best first.
func (b *Builder) candidates(ctx context.Context, o *Options, w feeds.Week) ([]feeds.IssueEntry, error) {
	sections, bySection, err := b.read(ctx, o, w)
	if err != nil {
		return nil, err
	}
	var out []feeds.IssueEntry
	for i, s := range sections {
		for _, it := range bySection[i] {
			e := entry(o, it)
			out = append(out, feeds.IssueEntry{ItemID: it.ID, Title: e.Title, Link: e.Link, Section: s.ID})
		}
	}
	return out, nil
}

// errNoIssues is returned by the desk's methods when the store keeps no
// issues.
var errNoIssues = errors.New("the store keeps no issues")

// Draft returns the issue of week w as the editor keeps it, creating it
// first from the week's candidates (the same selection and order as the
// digest built from the items) if the week has none, and adding the
// candidates that arrived since as "later" entries. An issue already
// published gets its late candidates too, for a correction; what it
// published does not change.
func (b *Builder) Draft(ctx context.Context, w feeds.Week) (*feeds.EditedIssue, error) {
	o := b.o()
	if b.issues == nil {
		return nil, fmt.Errorf("draft %s: %w", w, errNoIssues)
	}
	if !w.Valid() {
		return nil, fmt.Errorf("draft %s: %w", w, feeds.ErrBadWeek)
	}
	cands, err := b.candidates(ctx, o, w)
	if err != nil {
		return nil, fmt.Errorf("draft %s: %w", w, err)
	}
	if _, err := b.issues.SyncIssue(ctx, w, cands, o.Now()); err != nil {
		return nil, err
	}
	return b.issues.EditedIssue(ctx, w)
}

// Preview returns the issue of w as publishing it now would freeze it:
// the accepted entries of its draft (created as Draft does), section by
// section in the configured order.
func (b *Builder) Preview(ctx context.Context, w feeds.Week) (*feeds.Issue, error) {
	ed, err := b.Draft(ctx, w)
	if err != nil {
		return nil, err
	}
	return b.render(b.o(), ed), nil
}

// render is the issue ed shows: its accepted entries in the configured
// section order (sections the configuration does not name follow, by ID),
// each as the digest shows an item, with the editor's 要点, notes and
// related links.
func (b *Builder) render(o *Options, ed *feeds.EditedIssue) *feeds.Issue {
	date := b.PublishTime(ed.Week)
	is := &feeds.Issue{
		Week:    ed.Week,
		Title:   b.expand(o.Title, ed.Week, date),
		Heading: b.expand(o.Heading, ed.Week, date),
		Date:    date,
		From:    ed.Week.Start(o.Location),
		To:      ed.Week.Next().Start(o.Location),
		Updated: date,
		Note:    strings.TrimSpace(ed.Note),
	}
	if ed.UpdatedAt.After(is.Updated) {
		is.Updated = ed.UpdatedAt
	}
	for _, s := range IssueSections(o, ed) {
		sec := feeds.IssueSection{Section: s}
		for i := range ed.Entries {
			e := &ed.Entries[i]
			if e.Section != s.ID || e.State != feeds.EntryAccepted {
				continue
			}
			sec.Items = append(sec.Items, issueItem(o, e))
			if e.Item != nil {
				for _, t := range []time.Time{e.Item.FetchedAt, e.Item.Updated} {
					if t.After(is.Updated) {
						is.Updated = t
					}
				}
			}
		}
		if len(sec.Items) > 0 {
			is.Sections = append(is.Sections, sec)
		}
	}
	return is
}

// IssueSections lists the sections an edited issue may show under o: the
// configured ones in order, then any other section of its entries by ID
// (titled with its ID).
func IssueSections(o *Options, ed *feeds.EditedIssue) []feeds.Section {
	out := append([]feeds.Section(nil), o.Sections...)
	known := map[string]bool{"": true}
	for _, s := range out {
		known[s.ID] = true
	}
	var extra []string
	for _, e := range ed.Entries {
		if !known[e.Section] {
			known[e.Section] = true
			extra = append(extra, e.Section)
		}
	}
	sort.Strings(extra)
	for _, id := range extra {
		out = append(out, feeds.Section{ID: id, Title: id})
	}
	return out
}

// issueItem is how an issue shows entry e: as the digest shows its item
// (or, for an added URL, the page's title and description), with the
// editor's 要点 in place of the source's when there is one.
func issueItem(o *Options, e *feeds.IssueEntry) feeds.IssueItem {
	var ii feeds.IssueItem
	if e.Item != nil {
		ii = entry(o, *e.Item)
	} else {
		// An added page's title and description are plain text already
		// (read from its head), as is an item's title kept in the entry.
		ii = feeds.IssueItem{Title: oneLine(e.Title), Link: safeLink(e.Link)}
		ii.Summary = feeds.Summarize(oneLine(e.Description), o.SummaryMax)
		if ii.Title == "" {
			ii.Title = firstNonEmpty(ii.Link, "(untitled)")
		}
		if ii.Link != "" {
			ii.Source = hostOf(ii.Link)
		}
	}
	// The editor writes plain text: what looks like markup in it is
	// shown as written.
	if e.Summary != nil {
		ii.Summary = strings.TrimSpace(*e.Summary)
	}
	ii.Note = strings.TrimSpace(e.Note)
	for _, r := range e.Related {
		link := safeLink(r.URL)
		if link == "" {
			continue
		}
		title := oneLine(r.Title)
		if r.ItemID != 0 {
			title = feeds.PlainText(r.Title) // a stored item's title, as a source wrote it
		}
		ii.Related = append(ii.Related, feeds.IssueLink{Title: firstNonEmpty(title, link), Link: link})
	}
	return ii
}

// stored returns the issue of w kept in the store: as frozen if it was
// published (public true), else rendered from its draft (public when it
// is due and the schedule may publish it). It returns nil for a week
// without a stored issue.
func (b *Builder) stored(ctx context.Context, o *Options, w feeds.Week) (is *feeds.Issue, public bool, err error) {
	if b.issues == nil {
		return nil, false, nil
	}
	ed, err := b.issues.EditedIssue(ctx, w)
	if errors.Is(err, feeds.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	if ed.Revision > 0 {
		is, err := b.issues.FrozenIssue(ctx, w)
		if err != nil {
			return nil, false, err
		}
		return thaw(o, is), true, nil
	}
	return b.render(o, ed), ed.AutoPublish && b.Published(w, o.Now()), nil
}

// thaw puts a frozen issue's times back into the digest's zone (the
// pages name it).
func thaw(o *Options, is *feeds.Issue) *feeds.Issue {
	is.Date, is.Updated = is.Date.In(o.Location), is.Updated.In(o.Location)
	is.From, is.To = is.From.In(o.Location), is.To.In(o.Location)
	return is
}

// Publish freezes the issue of week w as its draft stands (created as
// Draft does if the week has none) and returns it: from now on the
// digest serves it exactly so, its Markdown included, whatever arrives
// for the week or changes in the rules, until the next Publish, which is
// a correction: it bumps the issue's Updated and nothing else's. With
// Options.Dir set, the Markdown file is written (replaced) too. An issue
// with no accepted entry is ErrEmpty.
func (b *Builder) Publish(ctx context.Context, w feeds.Week) (*feeds.Issue, error) {
	o := b.o()
	ed, err := b.Draft(ctx, w)
	if err != nil {
		return nil, err
	}
	is, err := b.freeze(ctx, o, ed)
	if err != nil {
		return nil, err
	}
	if o.Dir != "" {
		if _, err := b.writeMarkdown(o.Dir, is); err != nil {
			return nil, err
		}
	}
	return is, nil
}

// freeze renders ed and stores it as published.
func (b *Builder) freeze(ctx context.Context, o *Options, ed *feeds.EditedIssue) (*feeds.Issue, error) {
	w := ed.Week
	is := b.render(o, ed)
	if is.Len() == 0 {
		return nil, fmt.Errorf("publish digest %s: %w", w, ErrEmpty)
	}
	// The entry's <updated> is the moment of this publication; a
	// correction moves it on even within the clock's resolution.
	now := o.Now()
	is.Updated = now.In(o.Location).Truncate(time.Second)
	if is.Updated.Before(is.Date) {
		is.Updated = is.Date
	}
	if ed.Revision > 0 {
		prev, err := b.issues.FrozenIssue(ctx, w)
		if err != nil {
			return nil, err
		}
		if !is.Updated.After(prev.Updated) {
			is.Updated = prev.Updated.In(o.Location).Add(time.Second)
		}
	}
	is.Markdown = b.Markdown(is)
	rev, err := b.issues.PublishIssue(ctx, w, is, now)
	if err != nil {
		return nil, err
	}
	is.Revision = rev
	b.logger.Info().Str(logkey.Week, w.String()).Int(logkey.Revision, rev).Int(logkey.Items, is.Len()).Msg("digest published")
	return is, nil
}

// AddURL adds the article at link to the issue of week w, accepted, at
// the end of section: its title and description are the page's (Open
// Graph's og:title and og:description, else its <title> and meta
// description), fetched with Options.HTTPClient, the sources' polite,
// guarded client. It returns the new entry's ID.
func (b *Builder) AddURL(ctx context.Context, w feeds.Week, section, link string) (int64, error) {
	o := b.o()
	if b.issues == nil {
		return 0, fmt.Errorf("add %s: %w", feeds.RedactURL(link), errNoIssues)
	}
	if safeLink(link) == "" {
		return 0, fmt.Errorf("add %q: not an absolute http(s) URL", feeds.RedactURL(link))
	}
	if !o.HasSection(section) {
		return 0, fmt.Errorf("add %s: no section %q", feeds.RedactURL(link), section)
	}
	page, err := b.fetchPage(ctx, o, link)
	if err != nil {
		return 0, err
	}
	if _, err := b.Draft(ctx, w); err != nil {
		return 0, err
	}
	e := feeds.IssueEntry{
		Title:        page.title,
		Description:  page.description,
		Link:         safeLink(link),
		CanonicalURL: feeds.CanonicalURL(link),
		Section:      section,
		State:        feeds.EntryAccepted,
	}
	if o.TitleKey != nil {
		e.TitleKey = o.TitleKey(page.title)
	}
	return b.issues.AddIssueEntry(ctx, w, e, o.Now())
}

// HasSection reports whether id is a section of the digest: any non-empty
// ID when none is configured.
func (o *Options) HasSection(id string) bool {
	if id == "" {
		return false
	}
	if len(o.Sections) == 0 {
		return true
	}
	for _, s := range o.Sections {
		if s.ID == id {
			return true
		}
	}
	return false
}
