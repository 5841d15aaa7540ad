package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// request is one change the editor asked for: its form read, its session
// and CSRF token checked, its week parsed.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	s    *session
	week feeds.Week
	ctx  context.Context
}

// deskError is a change refused: the draft page is shown again with
// status and msg, and, for a conflict, what the editor wrote.
type deskError struct {
	status   int
	msg      string
	conflict *conflict
}

func (e *deskError) Error() string { return e.msg }

// conflict is a change refused because its entry changed since the page
// showed it: the page shows the editor's text again, so nothing is lost.
type conflict struct {
	EntryID int64
	Field   string // summary or note
	Value   string
}

func refuse(status int, format string, args ...any) error {
	return &deskError{status: status, msg: fmt.Sprintf(format, args...)}
}

// change wraps a change's handler: it reads the form, checks the session's
// CSRF token and the week, and turns the handler's error into the page.
func (d *Desk) change(h func(*request) error) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if err := parseForm(w, r); err != nil {
			d.errorPage(w, r, s, http.StatusBadRequest, "The form could not be read.")
			return
		}
		if !tokenOK(r.PostFormValue("csrf"), s.csrf) {
			d.log.Warn().Str(logkey.Path, r.URL.Path).Msg("desk change without a valid csrf token")
			d.errorPage(w, r, s, http.StatusForbidden, "The form's token is missing or wrong: reload the page and try again.")
			return
		}
		week, ok := d.pathWeek(w, r, s)
		if !ok {
			return
		}
		req := &request{w: w, r: r, s: s, week: week, ctx: r.Context()}
		err := h(req)
		if err == nil {
			return
		}
		var de *deskError
		if !errors.As(err, &de) {
			de = &deskError{status: http.StatusInternalServerError, msg: err.Error()}
			switch {
			case errors.Is(err, feeds.ErrNotFound):
				de.status = http.StatusNotFound
			case errors.Is(err, digest.ErrEmpty):
				de.status = http.StatusUnprocessableEntity
			case errors.Is(err, context.Canceled):
				return
			default:
				d.log.Error().Err(err).Str(logkey.Week, week.String()).Str(logkey.Path, r.URL.Path).Msg("desk change failed")
			}
		}
		d.draftPage(w, r, s, week, de.status, de.msg, de.conflict)
	}
}

// done answers a change that succeeded: back to the draft at anchor
// ("top" or entry-N), with msg at the top of the page.
func (req *request) done(d *Desk, anchor, msg string) error {
	d.sessions.setFlash(req.s, msg)
	http.Redirect(req.w, req.r, "/desk/issue/"+req.week.String()+"#"+anchor, http.StatusSeeOther)
	return nil
}

// entry returns the entry the request's path names, as the draft has it
// now, after checking that it has not changed since the page showed it
// (the form's v). field and value are what the editor wrote, shown again
// if it has.
func (d *Desk) entry(req *request, field, value string) (*feeds.IssueEntry, error) {
	id, err := strconv.ParseInt(req.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, refuse(http.StatusNotFound, "No entry %q.", req.r.PathValue("id"))
	}
	v, err := strconv.ParseInt(req.r.PostFormValue("v"), 10, 64)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "The form of entry %d lacks its version (v): reload the page.", id)
	}
	ed, err := d.o.Builder.Draft(req.ctx, req.week)
	if err != nil {
		return nil, err
	}
	e := ed.Entry(id)
	if e == nil {
		return nil, refuse(http.StatusNotFound, "Issue %s has no entry %d.", req.week, id)
	}
	if e.UpdatedAt.UnixMilli() != v {
		var c *conflict
		if field != "" {
			c = &conflict{EntryID: id, Field: field, Value: value}
		}
		return nil, &deskError{status: http.StatusConflict, conflict: c,
			msg: fmt.Sprintf("Entry %d changed meanwhile (in another window or from the command line): nothing was changed; "+
				"look at it again and repeat your change.", id)}
	}
	return e, nil
}

func anchor(id int64) string { return "entry-" + strconv.FormatInt(id, 10) }

// setState records accepted, rejected or later.
func (d *Desk) setState(req *request) error {
	state := feeds.EntryState(req.r.PostFormValue("state"))
	if !feeds.ValidEntryState(state) {
		return refuse(http.StatusBadRequest, "Unknown state %q: want accepted, rejected or later.", state)
	}
	e, err := d.entry(req, "", "")
	if err != nil {
		return err
	}
	if err := d.o.Store.SetEntryState(req.ctx, req.week, e.ID, state, d.o.Now()); err != nil {
		return err
	}
	return req.done(d, anchor(e.ID), fmt.Sprintf("Entry %d %s.", e.ID, state))
}

// move moves an entry into a section, at a position (the end without
// one), or up and down within its section.
func (d *Desk) move(req *request) error {
	section := strings.TrimSpace(req.r.PostFormValue("section"))
	if !d.knownSection(section) {
		return refuse(http.StatusBadRequest, "No section %q.", section)
	}
	position := 0
	if p := strings.TrimSpace(req.r.PostFormValue("position")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return refuse(http.StatusBadRequest, "Position %q is not a number from 1.", p)
		}
		position = n
	}
	e, err := d.entry(req, "", "")
	if err != nil {
		return err
	}
	if section == e.Section && position == e.Position {
		return req.done(d, anchor(e.ID), fmt.Sprintf("Entry %d stays where it is.", e.ID))
	}
	if err := d.o.Store.MoveEntry(req.ctx, req.week, e.ID, section, position, d.o.Now()); err != nil {
		return err
	}
	msg := fmt.Sprintf("Entry %d moved to %s.", e.ID, d.sectionTitle(section))
	if section == e.Section {
		msg = fmt.Sprintf("Entry %d moved to position %d.", e.ID, position)
		if position == 0 {
			msg = fmt.Sprintf("Entry %d moved to the end of %s.", e.ID, d.sectionTitle(section))
		}
	}
	return req.done(d, anchor(e.ID), msg)
}

// setSummary sets the 要点, or gives it back to the source's.
func (d *Desk) setSummary(req *request) error {
	text := cleanText(req.r.PostFormValue("summary"))
	reset := req.r.PostFormValue("reset") == "1"
	e, err := d.entry(req, "summary", text)
	if err != nil {
		return err
	}
	var summary *string
	msg := fmt.Sprintf("要点 of entry %d is the source's again.", e.ID)
	if !reset {
		if e.Summary == nil && text == d.sourceSummary(e) {
			return req.done(d, anchor(e.ID), fmt.Sprintf("要点 of entry %d unchanged.", e.ID))
		}
		summary = &text
		msg = fmt.Sprintf("要点 of entry %d saved.", e.ID)
	}
	if err := d.o.Store.SetEntrySummary(req.ctx, req.week, e.ID, summary, d.o.Now()); err != nil {
		return err
	}
	return req.done(d, anchor(e.ID), msg)
}

// setNote sets the editor's note on an entry.
func (d *Desk) setNote(req *request) error {
	text := cleanText(req.r.PostFormValue("note"))
	e, err := d.entry(req, "note", text)
	if err != nil {
		return err
	}
	if err := d.o.Store.SetEntryNote(req.ctx, req.week, e.ID, text, d.o.Now()); err != nil {
		return err
	}
	return req.done(d, anchor(e.ID), fmt.Sprintf("Note of entry %d saved.", e.ID))
}

// setRelated adds a 推荐阅读 link (a stored item's ID or a URL) or removes
// one by its index in the list.
func (d *Desk) setRelated(req *request) error {
	add := strings.TrimSpace(req.r.PostFormValue("add"))
	remove := strings.TrimSpace(req.r.PostFormValue("remove"))
	var link feeds.RelatedLink
	if remove == "" {
		var err error
		if link, err = parseRelated(add); err != nil {
			return refuse(http.StatusBadRequest, "%s", err)
		}
	}
	e, err := d.entry(req, "", "")
	if err != nil {
		return err
	}
	links := storedRelated(e.Related)
	msg := fmt.Sprintf("推荐阅读 added to entry %d.", e.ID)
	if remove != "" {
		i, err := strconv.Atoi(remove)
		if err != nil || i < 0 || i >= len(links) {
			return refuse(http.StatusBadRequest, "Entry %d has no 推荐阅读 link %q.", e.ID, remove)
		}
		links = append(links[:i], links[i+1:]...)
		msg = fmt.Sprintf("推荐阅读 removed from entry %d.", e.ID)
	} else {
		links = append(links, link)
	}
	if err := d.o.Store.SetEntryRelated(req.ctx, req.week, e.ID, links, d.o.Now()); err != nil {
		if errors.Is(err, feeds.ErrNotFound) {
			return refuse(http.StatusBadRequest, "No stored item %d to link to.", link.ItemID)
		}
		return err
	}
	return req.done(d, anchor(e.ID), msg)
}

// parseRelated reads a 推荐阅读 link as the editor typed it: a stored
// item's ID, or an absolute http(s) URL.
func parseRelated(s string) (feeds.RelatedLink, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return feeds.RelatedLink{}, errors.New("give a stored item's number or an http(s) URL to link to")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return feeds.RelatedLink{}, fmt.Errorf("%q is not an item number", s)
		}
		return feeds.RelatedLink{ItemID: n}, nil
	}
	if safeLink(s) == "" || feeds.CanonicalURL(s) == "" {
		return feeds.RelatedLink{}, fmt.Errorf("%q is neither an item number nor an absolute http(s) URL", feeds.RedactURL(s))
	}
	return feeds.RelatedLink{URL: s}, nil
}

// storedRelated returns links as the store takes them: reading fills an
// item link's title and URL, which the store keeps apart.
func storedRelated(links []feeds.RelatedLink) []feeds.RelatedLink {
	out := make([]feeds.RelatedLink, 0, len(links))
	for _, l := range links {
		if l.ItemID != 0 {
			out = append(out, feeds.RelatedLink{ItemID: l.ItemID})
		} else {
			out = append(out, feeds.RelatedLink{URL: l.URL, Title: l.Title})
		}
	}
	return out
}

// setIssueNote sets the 编者按.
func (d *Desk) setIssueNote(req *request) error {
	text := cleanText(req.r.PostFormValue("note"))
	ed, err := d.o.Builder.Draft(req.ctx, req.week)
	if err != nil {
		return err
	}
	// The form carries the 编者按 it showed (v): one written meanwhile
	// elsewhere is not overwritten unseen.
	if v := req.r.PostFormValue("v"); v != "" && v != noteVersion(ed.Note) {
		return &deskError{status: http.StatusConflict, conflict: &conflict{Field: "issue-note", Value: text},
			msg: "The 编者按 changed meanwhile (in another window or from the command line): nothing was changed; " +
				"what you wrote is below, the new 编者按 is in the preview."}
	}
	if err := d.o.Store.SetIssueNote(req.ctx, req.week, text, d.o.Now()); err != nil {
		return err
	}
	return req.done(d, "top", "编者按 saved.")
}

// noteVersion identifies an 编者按 as a page showed it.
func noteVersion(note string) string {
	sum := sha256.Sum256([]byte(note))
	return hex.EncodeToString(sum[:8])
}

// addURL adds an article by its URL.
func (d *Desk) addURL(req *request) error {
	section := strings.TrimSpace(req.r.PostFormValue("section"))
	link := strings.TrimSpace(req.r.PostFormValue("url"))
	if !d.knownSection(section) {
		return refuse(http.StatusBadRequest, "No section %q.", section)
	}
	if safeLink(link) == "" {
		return refuse(http.StatusBadRequest, "%q is not an absolute http(s) URL.", feeds.RedactURL(link))
	}
	id, err := d.o.Builder.AddURL(req.ctx, req.week, section, link)
	if err != nil {
		return refuse(http.StatusUnprocessableEntity, "Could not add %s: %s", feeds.RedactURL(link), err)
	}
	return req.done(d, anchor(id), fmt.Sprintf("Added %s as entry %d.", feeds.RedactURL(link), id))
}

// check runs the preflight check and keeps its result for the page.
func (d *Desk) check(req *request) error {
	problems, err := d.o.Builder.Check(req.ctx, req.week)
	if err != nil {
		return err
	}
	d.sessions.setCheck(req.s, &checkResult{week: req.week, at: d.o.Now(), problems: problems})
	msg := "Check: nothing wrong."
	if len(problems) > 0 {
		msg = fmt.Sprintf("Check: %d problems.", len(problems))
	}
	return req.done(d, "top", msg)
}

// publish freezes and publishes the issue as it stands.
func (d *Desk) publish(req *request) error {
	is, err := d.o.Builder.Publish(req.ctx, req.week)
	if errors.Is(err, digest.ErrEmpty) {
		return refuse(http.StatusUnprocessableEntity, "Nothing to publish: accept at least one entry.")
	} else if err != nil {
		return err
	}
	d.log.Info().Str(logkey.Week, req.week.String()).Int(logkey.Revision, is.Revision).Msg("desk published issue")
	return req.done(d, "top", fmt.Sprintf("Published %s, revision %d, %d items.", req.week, is.Revision, is.Len()))
}

// autoPublish turns the scheduled publication on or off.
func (d *Desk) autoPublish(req *request) error {
	var on bool
	switch req.r.PostFormValue("on") {
	case "1":
		on = true
	case "0":
	default:
		return refuse(http.StatusBadRequest, "Auto-publish wants on=1 or on=0.")
	}
	if _, err := d.o.Builder.Draft(req.ctx, req.week); err != nil {
		return err
	}
	if err := d.o.Store.SetAutoPublish(req.ctx, req.week, on, d.o.Now()); err != nil {
		return err
	}
	msg := "Auto-publish off: the schedule leaves this issue alone."
	if on {
		msg = "Auto-publish on: the schedule publishes the draft as it stands."
	}
	return req.done(d, "top", msg)
}

// knownSection reports whether id is a section the issue may show: a
// configured one, or any when none is configured (as the digest does).
func (d *Desk) knownSection(id string) bool {
	o := d.o.Builder.Options()
	return o.HasSection(id)
}

// sectionTitle returns the configured title of section id, else id.
func (d *Desk) sectionTitle(id string) string {
	for _, s := range d.o.Builder.Options().Sections {
		if s.ID == id && s.Title != "" {
			return s.Title
		}
	}
	return id
}

// cleanText is the editor's plain text as kept: line ends normalised,
// the ends trimmed, no NULs or other control characters but newlines and
// tabs.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}
