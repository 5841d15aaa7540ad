package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// issueUsage lists the issue commands.
const issueUsage = `usage: feedcurator issue COMMAND [--config FILE] [--week 2016-W26] [--json] ARGS

  show                          the issue's entries, section by section (creates the draft)
  accept|reject|later ENTRY...  the editor's decision about entries
  move ENTRY SECTION [POS]      into another section, at a position (default: the end)
  order SECTION ENTRY...        these entries first in the section, in this order
  summary ENTRY TEXT            the entry's 要点 (summary --reset ENTRY: the source's again)
  note [ENTRY] TEXT             the editor's note on the issue (编者按), or on an entry ("" for none)
  related ENTRY [ITEM|URL]...   the entry's 推荐阅读 links, replacing the old ones (none: no links)
  add-url SECTION URL           add the article at URL (its title and description are the page's)
  check                         what is wrong before publishing; exits 1 if anything is
  publish                       freeze and publish the issue as it stands (again: a correction)
  auto-publish on|off           whether the schedule publishes the draft

ENTRY is the entry number "issue show" prints. The week is by default the
next issue due.`

// issueRow is an entry as the issue commands print it.
type issueRow struct {
	Entry        int64               `json:"entry"`
	Section      string              `json:"section"`
	Position     int                 `json:"position"`
	State        feeds.EntryState    `json:"state"`
	ItemID       int64               `json:"item,omitempty"`
	RulesSection string              `json:"rules_section,omitempty"`
	Score        float64             `json:"score,omitempty"`
	Source       string              `json:"source,omitempty"`
	Title        string              `json:"title"`
	Link         string              `json:"link,omitempty"`
	Summary      *string             `json:"summary"` // the editor's 要点; null: the source's
	Note         string              `json:"note,omitempty"`
	Related      []feeds.RelatedLink `json:"related,omitempty"`
	DuplicateOf  int64               `json:"duplicate_of,omitempty"`
}

// issueOut is an issue as the issue commands print it.
type issueOut struct {
	Week        string           `json:"week"`
	State       feeds.IssueState `json:"state"`
	AutoPublish bool             `json:"auto_publish"`
	Revision    int              `json:"revision"`
	Note        string           `json:"note,omitempty"`
	Due         time.Time        `json:"due"`
	PublishedAt time.Time        `json:"published_at,omitzero"`
	UpdatedAt   time.Time        `json:"updated_at"`
	Entries     []issueRow       `json:"entries"`
}

// issueCommand is one run of an issue command: its flags, store and
// digest.
type issueCommand struct {
	cfg  *config.Config
	db   *sqlite.DB
	b    *digest.Builder
	week feeds.Week
	json bool
	args []string
	out  io.Writer
}

// cmdIssue runs the editor's issue commands: feedcurator issue show |
// accept | reject | later | move | order | summary | note | related |
// add-url | check | publish | auto-publish.
func cmdIssue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, issueUsage)
		if len(args) == 0 {
			return errReported
		}
		return errHelp
	}
	sub := args[0]
	var af adminFlags
	fs := flag.NewFlagSet("issue "+sub, flag.ContinueOnError)
	af.register(fs)
	week := fs.String("week", "", "ISO `week` of the issue, e.g. 2016-W26 (default: the next issue due)")
	reset := fs.Bool("reset", false, "summary: give the entry back the source's 要点")
	fs.SetOutput(stderr)
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return flagError(err)
	}
	cfg, err := af.load(stderr)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	c := &issueCommand{cfg: cfg, db: db, json: af.json, args: rest, out: stdout}
	c.b = digest.New(db, daemon.DigestOptions(cfg), af.newLogger(cfg, stderr))
	c.week = c.b.Latest(time.Now()).Next()
	if *week != "" {
		if c.week, err = feeds.ParseWeek(*week); err != nil {
			return fmt.Errorf("--week %q: %w", *week, err)
		}
	}
	switch sub {
	case "show":
		return c.show(ctx, 0)
	case "accept", "reject", "later":
		return c.setState(ctx, feeds.EntryState(map[string]string{"accept": "accepted", "reject": "rejected", "later": "later"}[sub]))
	case "move":
		return c.move(ctx)
	case "order":
		return c.order(ctx)
	case "summary":
		return c.summary(ctx, *reset)
	case "note":
		return c.note(ctx)
	case "related":
		return c.related(ctx)
	case "add-url":
		return c.addURL(ctx)
	case "check":
		return c.check(ctx)
	case "publish":
		return c.publish(ctx)
	case "auto-publish":
		return c.autoPublish(ctx)
	}
	fmt.Fprintf(stderr, "feedcurator issue: unknown command %q\n\n%s\n", sub, issueUsage)
	return errReported
}

// parseInterspersed parses fs from args, flags before, between or after
// the arguments, and returns the arguments. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		if args[0] == "--" {
			return append(rest, args[1:]...), nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// wantArgs checks the number of arguments: at least lo, at most hi (-1:
// any).
func (c *issueCommand) wantArgs(lo, hi int, usage string) error {
	if len(c.args) < lo || (hi >= 0 && len(c.args) > hi) {
		return fmt.Errorf("usage: feedcurator issue %s", usage)
	}
	return nil
}

func (c *issueCommand) entryID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("entry %q is not an entry number (see feedcurator issue show)", s)
	}
	return id, nil
}

func (c *issueCommand) section(id string) error {
	if !hasSection(c.cfg, id) {
		return fmt.Errorf("no section %q in %s", id, c.cfg.File())
	}
	return nil
}

// draft returns the issue, creating its draft if needed.
func (c *issueCommand) draft(ctx context.Context) (*feeds.EditedIssue, error) {
	return c.b.Draft(ctx, c.week)
}

// show prints the issue; changed (an entry ID, or 0) names the entry a
// command just changed, for the message of a table.
func (c *issueCommand) show(ctx context.Context, changed int64) error {
	ed, err := c.draft(ctx)
	if err != nil {
		return err
	}
	out := issueOut{Week: ed.Week.String(), State: ed.State, AutoPublish: ed.AutoPublish, Revision: ed.Revision, Note: ed.Note,
		Due: c.b.PublishTime(ed.Week), PublishedAt: ed.PublishedAt, UpdatedAt: ed.UpdatedAt, Entries: []issueRow{}}
	for _, s := range sectionOrder(c.cfg, ed) {
		for _, e := range ed.Entries {
			if e.Section != s {
				continue
			}
			r := issueRow{Entry: e.ID, Section: e.Section, Position: e.Position, State: e.State, ItemID: e.ItemID,
				RulesSection: e.RulesSection, Title: e.Title, Link: e.Link, Summary: e.Summary, Note: e.Note,
				Related: e.Related, DuplicateOf: e.DuplicateOf}
			if e.Item != nil {
				r.Score, r.Source = e.Item.Score, e.Item.SourceName
				r.Title = firstNonEmptyString(feeds.PlainText(e.Item.Title), r.Title)
			}
			r.Link = feeds.RedactURL(r.Link)
			out.Entries = append(out.Entries, r)
		}
	}
	if c.json {
		return writeJSON(c.out, out)
	}
	auto := "on"
	if !out.AutoPublish {
		auto = "off"
	}
	fmt.Fprintf(c.out, "issue %s: %s, revision %d, auto-publish %s, due %s\n", out.Week, out.State, out.Revision, auto,
		out.Due.Format("2006-01-02 15:04 -0700"))
	if out.Note != "" {
		fmt.Fprintf(c.out, "编者按: %s\n", clip(out.Note, 200))
	}
	tw := newTable(c.out)
	fmt.Fprintln(tw, "ENTRY\tSECTION\tPOS\tSTATE\tITEM\tSOURCE\tTITLE\tMARKS")
	for _, r := range out.Entries {
		var marks []string
		if r.Summary != nil {
			marks = append(marks, "要点 edited")
		}
		if r.Note != "" {
			marks = append(marks, "note")
		}
		if len(r.Related) > 0 {
			marks = append(marks, fmt.Sprintf("%d related", len(r.Related)))
		}
		if r.RulesSection != "" && r.RulesSection != r.Section {
			marks = append(marks, "moved from "+r.RulesSection)
		}
		if r.ItemID == 0 {
			marks = append(marks, "added URL")
		}
		if r.Entry == changed {
			marks = append(marks, "changed")
		}
		item := "-"
		if r.ItemID != 0 {
			item = strconv.FormatInt(r.ItemID, 10)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Entry, r.Section, r.Position, r.State, item,
			clip(orDash(r.Source, "-"), 20), clip(r.Title, 60), strings.Join(marks, ", "))
	}
	return tw.Flush()
}

// sectionOrder is the configured sections, then any other of the issue's.
func sectionOrder(cfg *config.Config, ed *feeds.EditedIssue) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range cfg.Sections {
		out = append(out, s.ID)
		seen[s.ID] = true
	}
	for _, e := range ed.Entries {
		if !seen[e.Section] {
			seen[e.Section] = true
			out = append(out, e.Section)
		}
	}
	return out
}

func firstNonEmptyString(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// done reports a change: the issue as it is now.
func (c *issueCommand) done(ctx context.Context, id int64) error {
	return c.show(ctx, id)
}

func (c *issueCommand) setState(ctx context.Context, state feeds.EntryState) error {
	if err := c.wantArgs(1, -1, "accept|reject|later ENTRY..."); err != nil {
		return err
	}
	if _, err := c.draft(ctx); err != nil {
		return err
	}
	var last int64
	for _, a := range c.args {
		id, err := c.entryID(a)
		if err != nil {
			return err
		}
		if err := c.db.SetEntryState(ctx, c.week, id, state, time.Now()); err != nil {
			return err
		}
		last = id
	}
	return c.done(ctx, last)
}

func (c *issueCommand) move(ctx context.Context) error {
	if err := c.wantArgs(2, 3, "move ENTRY SECTION [POSITION]"); err != nil {
		return err
	}
	id, err := c.entryID(c.args[0])
	if err != nil {
		return err
	}
	if err := c.section(c.args[1]); err != nil {
		return err
	}
	pos := 0
	if len(c.args) == 3 {
		if pos, err = strconv.Atoi(c.args[2]); err != nil || pos <= 0 {
			return fmt.Errorf("position %q is not a number from 1", c.args[2])
		}
	}
	if _, err := c.draft(ctx); err != nil {
		return err
	}
	if err := c.db.MoveEntry(ctx, c.week, id, c.args[1], pos, time.Now()); err != nil {
		return err
	}
	return c.done(ctx, id)
}

func (c *issueCommand) order(ctx context.Context) error {
	if err := c.wantArgs(2, -1, "order SECTION ENTRY..."); err != nil {
		return err
	}
	if err := c.section(c.args[0]); err != nil {
		return err
	}
	var ids []int64
	for _, a := range c.args[1:] {
		id, err := c.entryID(a)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if _, err := c.draft(ctx); err != nil {
		return err
	}
	if err := c.db.OrderSection(ctx, c.week, c.args[0], ids, time.Now()); err != nil {
		return err
	}
	return c.done(ctx, 0)
}

func (c *issueCommand) summary(ctx context.Context, reset bool) error {
	var text *string
	if reset {
		if err := c.wantArgs(1, 1, "summary --reset ENTRY"); err != nil {
			return err
		}
	} else {
		if err := c.wantArgs(2, 2, `summary ENTRY "TEXT"`); err != nil {
			return err
		}
		s := strings.TrimSpace(c.args[1])
		text = &s
	}
	id, err := c.entryID(c.args[0])
	if err != nil {
		return err
	}
	if _, err := c.draft(ctx); err != nil {
		return err
	}
	if err := c.db.SetEntrySummary(ctx, c.week, id, text, time.Now()); err != nil {
		return err
	}
	return c.done(ctx, id)
}

func (c *issueCommand) note(ctx context.Context) error {
	if err := c.wantArgs(1, 2, `note [ENTRY] "TEXT"`); err != nil {
		return err
	}
	if _, err := c.draft(ctx); err != nil {
		return err
	}
	if len(c.args) == 1 {
		if err := c.db.SetIssueNote(ctx, c.week, strings.TrimSpace(c.args[0]), time.Now()); err != nil {
			return err
		}
		return c.done(ctx, 0)
	}
	id, err := c.entryID(c.args[0])
	if err != nil {
		return err
	}
	if err := c.db.SetEntryNote(ctx, c.week, id, strings.TrimSpace(c.args[1]), time.Now()); err != nil {
		return err
	}
	return c.done(ctx, id)
}

func (c *issueCommand) related(ctx context.Context) error {
	if err := c.wantArgs(1, -1, "related ENTRY [ITEM|URL]..."); err != nil {
		return err
	}
	id, err := c.entryID(c.args[0])
	if err != nil {
		return err
	}
	var links []feeds.RelatedLink
	for _, a := range c.args[1:] {
		if n, err := strconv.ParseInt(a, 10, 64); err == nil && n > 0 {
			links = append(links, feeds.RelatedLink{ItemID: n})
			continue
		}
		if feeds.CanonicalURL(a) == "" {
			return fmt.Errorf("related %q: neither an item ID nor an absolute http(s) URL", feeds.RedactURL(a))
		}
		links = append(links, feeds.RelatedLink{URL: a})
	}
	if _, err := c.draft(ctx); err != nil {
		return err
	}
	if err := c.db.SetEntryRelated(ctx, c.week, id, links, time.Now()); err != nil {
		return err
	}
	return c.done(ctx, id)
}

func (c *issueCommand) addURL(ctx context.Context) error {
	if err := c.wantArgs(2, 2, "add-url SECTION URL"); err != nil {
		return err
	}
	if err := c.section(c.args[0]); err != nil {
		return err
	}
	id, err := c.b.AddURL(ctx, c.week, c.args[0], c.args[1])
	if err != nil {
		return err
	}
	return c.done(ctx, id)
}

// errProblems is returned by check when it found any: the exit status
// says so to a script.
var errProblems = errors.New("the issue has problems")

func (c *issueCommand) check(ctx context.Context) error {
	if err := c.wantArgs(0, 0, "check"); err != nil {
		return err
	}
	problems, err := c.b.Check(ctx, c.week)
	if err != nil {
		return err
	}
	if c.json {
		if problems == nil {
			problems = []digest.Problem{}
		}
		if err := writeJSON(c.out, problems); err != nil {
			return err
		}
	} else {
		tw := newTable(c.out)
		fmt.Fprintln(tw, "KIND\tSECTION\tENTRY\tPROBLEM")
		for _, p := range problems {
			entry := "-"
			if p.EntryID != 0 {
				entry = strconv.FormatInt(p.EntryID, 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Kind, orDash(p.Section, "-"), entry, clip(p.Message, 120))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "issue %s: %d problems\n", c.week, len(problems))
	}
	if len(problems) > 0 {
		return errProblems
	}
	return nil
}

func (c *issueCommand) publish(ctx context.Context) error {
	if err := c.wantArgs(0, 0, "publish"); err != nil {
		return err
	}
	is, err := c.b.Publish(ctx, c.week)
	if err != nil {
		return err
	}
	if c.json {
		return writeJSON(c.out, struct {
			Week     string    `json:"week"`
			Revision int       `json:"revision"`
			Items    int       `json:"items"`
			Updated  time.Time `json:"updated"`
		}{is.Week.String(), is.Revision, is.Len(), is.Updated})
	}
	fmt.Fprintf(c.out, "issue %s published: revision %d, %d items\n", is.Week, is.Revision, is.Len())
	return nil
}

func (c *issueCommand) autoPublish(ctx context.Context) error {
	if err := c.wantArgs(1, 1, "auto-publish on|off"); err != nil {
		return err
	}
	var on bool
	switch c.args[0] {
	case "on":
		on = true
	case "off":
	default:
		return errors.New("usage: feedcurator issue auto-publish on|off")
	}
	if _, err := c.draft(ctx); err != nil {
		return err
	}
	if err := c.db.SetAutoPublish(ctx, c.week, on, time.Now()); err != nil {
		return err
	}
	return c.done(ctx, 0)
}
