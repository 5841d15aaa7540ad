package desk

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"inc":     func(i int) int { return i + 1 },
	"dec":     func(i int) int { return i - 1 },
	"oneLine": oneLine,
	"redact":  feeds.RedactURL,
}).ParseFS(templateFS, "templates/*.html"))

// render writes template name with v as the page, with status.
func (d *Desk) render(w http.ResponseWriter, r *http.Request, status int, name string, v any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, v); err != nil {
		d.log.Error().Err(err).Str(logkey.Path, r.URL.Path).Msg("desk page failed")
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// loginView is the sign-in page.
type loginView struct {
	CSRF       string
	Flash      string
	NoPassword bool
}

// errorView is a page that only says what went wrong.
type errorView struct {
	Flash string
	CSRF  string
	Home  string
}

// errorPage shows msg alone, with status.
func (d *Desk) errorPage(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	d.render(w, r, status, "error", errorView{Flash: msg, CSRF: s.csrf, Home: "/desk/"})
}

// defaultWeek is the week the desk opens: the next issue due.
func (d *Desk) defaultWeek() feeds.Week {
	return d.o.Builder.Latest(d.o.Now()).Next()
}

// serveHome sends the editor to the next issue due.
func (d *Desk) serveHome(w http.ResponseWriter, r *http.Request, _ *session) {
	http.Redirect(w, r, "/desk/issue/"+d.defaultWeek().String(), http.StatusSeeOther)
}

// serveDraft shows a week's draft.
func (d *Desk) serveDraft(w http.ResponseWriter, r *http.Request, s *session) {
	if week, ok := d.pathWeek(w, r, s); ok {
		d.draftPage(w, r, s, week, http.StatusOK, "", nil)
	}
}

// pathWeek returns the week r's path names, or answers 404 for a week
// that is no week or has not begun.
func (d *Desk) pathWeek(w http.ResponseWriter, r *http.Request, s *session) (feeds.Week, bool) {
	week, err := feeds.ParseWeek(r.PathValue("week"))
	if err != nil {
		d.errorPage(w, r, s, http.StatusNotFound, "No such issue: "+err.Error())
		return week, false
	}
	if d.notBegun(week) {
		d.errorPage(w, r, s, http.StatusNotFound, notBegunMsg(week))
		return week, false
	}
	return week, true
}

// notBegun reports whether week w comes after the week of the next issue
// due: its candidates have not arrived, and opening its draft now would
// make it empty, its candidates arriving later as "later" entries.
func (d *Desk) notBegun(w feeds.Week) bool {
	return d.defaultWeek().Before(w)
}

func notBegunMsg(w feeds.Week) string {
	return "Issue " + w.String() + " has not begun: its draft is made from its candidates once its week is under way."
}

// draftView is the draft page.
type draftView struct {
	CSRF        string
	Flash       string
	FlashError  bool
	Week        string
	Prev, Next  string
	HasNext     bool   // the next week has begun
	Current     string // the next issue due
	Title       string
	State       string // draft, or published rev N
	Published   bool
	Revision    int
	AutoPublish bool
	Note        string
	NoteV       string // the version of the 编者按 shown
	Updated     string
	PublishedAt string
	Due         string
	Accepted    int
	Total       int
	Sections    []sectionView
	Choices     []feeds.Section // where an entry can go
	Preview     *feeds.Issue
	Check       *checkView
	Conflict    *conflict
}

type sectionView struct {
	ID, Title string
	Entries   []entryView
	Accepted  int
}

// entryView is one candidate as the draft shows it.
type entryView struct {
	ID           int64
	ItemID       int64
	State        string
	Section      string
	Position     int
	First, Last  bool
	Title        string
	Link         string // http(s) only
	Source       string
	Published    string
	Score        string
	Review       bool
	Why          string
	WhyError     string
	Summary      string // what the textarea holds
	Edited       bool   // the editor wrote the 要点
	Note         string
	Related      []relatedView
	Dupes        []dupeView
	DuplicateOf  *dupeView
	AlsoIn       []mentionView
	Featured     string // the earlier issue's week
	FeaturedBy   string
	RulesSection string // set when the editor moved it out of the rules' section
	AddedByURL   bool
	V            int64
	Conflict     *conflict
}

type relatedView struct {
	Index int
	Title string
	Link  string
	Item  int64
}

type dupeView struct {
	ID      int64
	Title   string
	Source  string
	State   string
	Section string
}

type mentionView struct {
	Source string
	Link   string
}

type checkView struct {
	At       string
	Problems []problemView
}

type problemView struct {
	Kind    string
	Message string
	EntryID int64
	Title   string
	Section string
	Link    string
}

// draftPage renders the draft of week with status; flash is the message
// at the top (the session's pending one when empty), conflict the
// editor's text a refused change carried.
func (d *Desk) draftPage(w http.ResponseWriter, r *http.Request, s *session, week feeds.Week, status int, flash string, c *conflict) {
	ctx := r.Context()
	v := draftView{CSRF: s.csrf, Week: week.String(), Prev: week.Prev().String(), Next: week.Next().String(), HasNext: !d.notBegun(week.Next()),
		Current: d.defaultWeek().String(), Conflict: c, Flash: flash, FlashError: status >= 400}
	if v.Flash == "" {
		v.Flash = d.sessions.popFlash(s)
	}
	ed, err := d.o.Builder.Draft(ctx, week)
	if err != nil {
		d.log.Error().Err(err).Str(logkey.Week, week.String()).Msg("desk draft failed")
		d.errorPage(w, r, s, errorStatus(err), "The draft could not be read: "+err.Error())
		return
	}
	preview, err := d.o.Builder.Preview(ctx, week)
	if err != nil {
		d.log.Error().Err(err).Str(logkey.Week, week.String()).Msg("desk preview failed")
		d.errorPage(w, r, s, errorStatus(err), "The preview could not be rendered: "+err.Error())
		return
	}
	featured, err := d.o.Store.FeaturedEarlier(ctx, week)
	if err != nil {
		d.log.Error().Err(err).Str(logkey.Week, week.String()).Msg("desk featured failed")
		d.errorPage(w, r, s, errorStatus(err), "The earlier issues could not be read: "+err.Error())
		return
	}
	o := d.o.Builder.Options()
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	v.Preview = preview
	v.Title = preview.Title
	v.Published = ed.State == feeds.IssuePublished
	v.Revision = ed.Revision
	v.State = "draft"
	if ed.Revision > 0 {
		v.State = "published rev " + strconv.Itoa(ed.Revision)
		v.PublishedAt = ed.PublishedAt.In(loc).Format("2006-01-02 15:04 MST")
	}
	v.AutoPublish = ed.AutoPublish
	v.Note, v.NoteV = ed.Note, noteVersion(ed.Note)
	v.Updated = ed.UpdatedAt.In(loc).Format("2006-01-02 15:04:05 MST")
	v.Due = preview.Date.In(loc).Format("2006-01-02 15:04 MST")
	if c != nil && c.EntryID == 0 && c.Field == "issue-note" {
		v.Note = c.Value
	}
	v.Sections, v.Choices = d.sections(ctx, o, ed, featured, c)
	for _, sec := range v.Sections {
		v.Accepted += sec.Accepted
		v.Total += len(sec.Entries)
	}
	if cr := d.sessions.lastCheck(s, week); cr != nil {
		v.Check = checkPage(cr, ed, loc)
	}
	d.render(w, r, status, "draft", v)
}

// errorStatus is the status of a page that failed with err.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, feeds.ErrNotFound), errors.Is(err, feeds.ErrBadWeek):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// sections lays out ed's entries section by section: the configured
// sections in order, then any other section of its entries by ID; within
// each, the entries by position.
func (d *Desk) sections(ctx context.Context, o digest.Options, ed *feeds.EditedIssue, featured []feeds.Featured, c *conflict) ([]sectionView, []feeds.Section) {
	choices := append([]feeds.Section(nil), o.Sections...)
	all := digest.IssueSections(&o, ed)
	if len(o.Sections) == 0 {
		choices = all
	}
	for i := range all {
		if all[i].Title == "" {
			all[i].Title = all[i].ID
		}
	}

	byItem := map[int64]*feeds.IssueEntry{}
	for i := range ed.Entries {
		if id := ed.Entries[i].ItemID; id != 0 {
			byItem[id] = &ed.Entries[i]
		}
	}
	// The entries whose item duplicates another entry's item, grouped
	// under that entry.
	dupes := map[int64][]dupeView{}
	for i := range ed.Entries {
		e := &ed.Entries[i]
		if p := byItem[e.DuplicateOf]; e.DuplicateOf != 0 && p != nil && p.ID != e.ID {
			dupes[p.ID] = append(dupes[p.ID], d.dupe(e))
		}
	}
	feat := map[int64]feeds.Featured{}
	for _, f := range featured {
		feat[f.EntryID] = f
	}

	var out []sectionView
	for _, s := range all {
		sv := sectionView{ID: s.ID, Title: s.Title}
		for i := range ed.Entries {
			e := &ed.Entries[i]
			if e.Section != s.ID {
				continue
			}
			ev := d.entryView(ctx, e, c)
			ev.Dupes = dupes[e.ID]
			ev.AlsoIn = otherCopies(ev.AlsoIn, ev.Dupes)
			if p := byItem[e.DuplicateOf]; e.DuplicateOf != 0 && p != nil && p.ID != e.ID {
				dv := d.dupe(p)
				ev.DuplicateOf = &dv
			}
			if f, ok := feat[e.ID]; ok {
				ev.Featured, ev.FeaturedBy = f.Week.String(), f.By
			}
			if e.State == feeds.EntryAccepted {
				sv.Accepted++
			}
			sv.Entries = append(sv.Entries, ev)
		}
		for i := range sv.Entries {
			sv.Entries[i].First = i == 0
			sv.Entries[i].Last = i == len(sv.Entries)-1
		}
		out = append(out, sv)
	}
	return out, choices
}

// entryView is how the draft shows e.
func (d *Desk) entryView(ctx context.Context, e *feeds.IssueEntry, c *conflict) entryView {
	ev := entryView{
		ID: e.ID, ItemID: e.ItemID, State: string(e.State), Section: e.Section, Position: e.Position,
		Title: entryTitle(e), Link: safeLink(e.Link), Note: e.Note, V: e.UpdatedAt.UnixMilli(),
		AddedByURL: e.ItemID == 0,
	}
	if e.RulesSection != "" && e.RulesSection != e.Section {
		ev.RulesSection = e.RulesSection
	}
	if e.Item != nil {
		ev.Source = firstNonEmpty(e.Item.SourceName, e.Item.SourceTitle)
		ev.Score = strconv.FormatFloat(e.Item.Score, 'f', 2, 64)
		if !e.Item.Published.IsZero() {
			ev.Published = e.Item.Published.UTC().Format("2006-01-02")
		}
		if ev.Link == "" {
			ev.Link = safeLink(e.Item.Link)
		}
		for _, m := range e.Item.AlsoIn {
			ev.AlsoIn = append(ev.AlsoIn, mentionView{Source: m.Source, Link: safeLink(m.Link)})
		}
	} else if ev.Link != "" {
		ev.Source = hostOf(ev.Link)
	}
	if e.Summary != nil {
		ev.Summary, ev.Edited = *e.Summary, true
	} else {
		ev.Summary = d.sourceSummary(e)
	}
	for i, r := range e.Related {
		link := safeLink(r.URL)
		title := oneLine(r.Title)
		if r.ItemID != 0 {
			title = oneLine(feeds.PlainText(r.Title))
		}
		ev.Related = append(ev.Related, relatedView{Index: i, Title: firstNonEmpty(title, feeds.RedactURL(link), "(item "+strconv.FormatInt(r.ItemID, 10)+")"),
			Link: link, Item: r.ItemID})
	}
	if d.o.Explain != nil && e.ItemID != 0 {
		x, err := d.o.Explain(ctx, e.ItemID)
		if err != nil {
			ev.WhyError = err.Error()
		} else {
			var b strings.Builder
			if err := x.WriteText(&b); err != nil {
				ev.WhyError = err.Error()
			}
			ev.Why = b.String()
			ev.Review = x.Review
		}
	}
	if c != nil && c.EntryID == e.ID {
		ev.Conflict = c
		switch c.Field {
		case "summary":
			ev.Summary = c.Value
		case "note":
			ev.Note = c.Value
		}
	}
	return ev
}

// otherCopies returns the mentions of other sources' copies that are not
// entries of the issue listed already.
func otherCopies(mentions []mentionView, dupes []dupeView) []mentionView {
	var out []mentionView
	for _, m := range mentions {
		listed := false
		for _, d := range dupes {
			listed = listed || (m.Link == "" && m.Source == d.Source)
		}
		if !listed {
			out = append(out, m)
		}
	}
	return out
}

// dupe is how an entry shows e as its near-duplicate.
func (d *Desk) dupe(e *feeds.IssueEntry) dupeView {
	dv := dupeView{ID: e.ID, Title: entryTitle(e), State: string(e.State), Section: d.sectionTitle(e.Section)}
	if e.Item != nil {
		dv.Source = firstNonEmpty(e.Item.SourceName, e.Item.SourceTitle)
	}
	return dv
}

// sourceSummary is the 要点 the issue shows for e while the editor has not
// written one: the source's summary (or content) as plain text, cut at a
// sentence boundary as the digest cuts it.
func (d *Desk) sourceSummary(e *feeds.IssueEntry) string {
	max := d.o.Builder.Options().SummaryMax
	if e.Item == nil {
		return feeds.Summarize(oneLine(e.Description), max)
	}
	text := feeds.PlainText(e.Item.Summary)
	if text == "" {
		text = feeds.PlainText(e.Item.Content)
	}
	return feeds.Summarize(text, max)
}

// entryTitle is e's title as plain text.
func entryTitle(e *feeds.IssueEntry) string {
	t := ""
	if e.Item != nil {
		t = feeds.PlainText(e.Item.Title)
	}
	if t == "" {
		t = oneLine(feeds.PlainText(e.Title))
	}
	return firstNonEmpty(oneLine(t), feeds.RedactURL(safeLink(e.Link)), "(untitled)")
}

// checkPage lays out a check's problems, each with the entry it concerns.
func checkPage(cr *checkResult, ed *feeds.EditedIssue, loc *time.Location) *checkView {
	cv := &checkView{At: cr.at.In(loc).Format("15:04:05")}
	for _, p := range cr.problems {
		pv := problemView{Kind: string(p.Kind), Message: p.Message, EntryID: p.EntryID, Section: p.Section, Link: p.Link}
		if e := ed.Entry(p.EntryID); e != nil {
			pv.Title = entryTitle(e)
		}
		cv.Problems = append(cv.Problems, pv)
	}
	return cv
}

// safeLink returns link if it is an absolute http(s) URL, else "".
func safeLink(link string) string {
	link = strings.TrimSpace(link)
	u, err := url.Parse(link)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return link
}

// hostOf returns the host of an absolute URL.
func hostOf(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// oneLine collapses the white space of s, newlines included, to single
// spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
