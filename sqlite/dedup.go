package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// titleWindow bounds how far apart in time two items with the same title
// key may be to count as one story: a recurring title ("Weekly digest 12")
// months later is another story.
const titleWindow = 30 * 24 * time.Hour

// dupFinder finds the item an item duplicates, with statements prepared
// once (parsing SQL per item would dominate the cost).
type dupFinder struct {
	byURL, byTitle, cand *sql.Stmt
}

// preparer is a *sql.DB or a *sql.Tx.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func newDupFinder(ctx context.Context, p preparer) (*dupFinder, error) {
	byURL, err := p.PrepareContext(ctx, `SELECT id FROM items
		WHERE canonical_url = ? AND canonical_url <> '' AND dup_of = 0 AND hidden = 0
		AND source_id <> ? AND id <> ? ORDER BY id LIMIT 1`)
	if err != nil {
		return nil, err
	}
	byTitle, err := p.PrepareContext(ctx, `SELECT p.id FROM items p, items me
		WHERE me.id = ? AND p.title_key = ? AND p.title_key <> '' AND p.dup_of = 0 AND p.hidden = 0
		AND p.source_id <> ? AND p.id <> me.id AND abs(p.sort_time - me.sort_time) < ?
		ORDER BY p.id LIMIT 1`)
	if err != nil {
		byURL.Close()
		return nil, err
	}
	cand, err := p.PrepareContext(ctx, `SELECT i.id, i.primary_pick, i.link, s.feed_link, s.url, s.position, i.sort_time
		FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = ?`)
	if err != nil {
		byURL.Close()
		byTitle.Close()
		return nil, err
	}
	return &dupFinder{byURL: byURL, byTitle: byTitle, cand: cand}, nil
}

// in returns f's statements bound to tx; they need no closing.
func (f *dupFinder) in(ctx context.Context, tx *sql.Tx) *dupFinder {
	return &dupFinder{byURL: tx.StmtContext(ctx, f.byURL), byTitle: tx.StmtContext(ctx, f.byTitle), cand: tx.StmtContext(ctx, f.cand)}
}

func (f *dupFinder) Close() error {
	return errors.Join(f.byURL.Close(), f.byTitle.Close(), f.cand.Close())
}

// primary returns the primary of the group of near-duplicates that item id
// (of source sourceID) belongs to: the earliest-stored item of another
// source with the same canonical URL, or with the same title key within
// titleWindow, that is itself no duplicate and not hidden. It returns 0 for
// none. Whether id should take that item's place is prefer's question.
func (f *dupFinder) primary(ctx context.Context, id, sourceID int64, c *feeds.Classification) (int64, error) {
	var primary int64
	if c.CanonicalURL != "" {
		err := f.byURL.QueryRowContext(ctx, c.CanonicalURL, sourceID, id).Scan(&primary)
		if err == nil {
			return primary, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	if c.TitleKey != "" {
		err := f.byTitle.QueryRowContext(ctx, id, c.TitleKey, sourceID, titleWindow.Milliseconds()).Scan(&primary)
		if err == nil {
			return primary, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	return 0, nil
}

// foldQuery folds item ?2 and the copies folded into it into item ?1,
// leaving item ?4 alone. "dup_of <> 0" repeats the condition of the
// items_dup_of index, which lets SQLite use it: the copies of an item are
// found by an index probe, not a read of the whole table.
const foldQuery = `UPDATE items SET dup_of = ?1, excluded = 1
	WHERE (id = ?2 OR (dup_of = ?3 AND dup_of <> 0)) AND id <> ?4`

// candidate is what choosing the primary of a group compares of one copy.
type candidate struct {
	id        int64
	pick      bool   // the editor's choice
	link      string // the copy's link
	siteLink  string // its source's website (the feed's own link)
	sourceURL string // its source's feed URL
	position  int64  // its source's place in the configuration
	sortTime  int64
}

func (f *dupFinder) candidate(ctx context.Context, id int64) (candidate, error) {
	var c candidate
	err := f.cand.QueryRowContext(ctx, id).Scan(&c.id, &c.pick, &c.link, &c.siteLink, &c.sourceURL, &c.position, &c.sortTime)
	return c, err
}

// prefer reports whether item id should be the primary of its group rather
// than primary, the group's primary now.
func (f *dupFinder) prefer(ctx context.Context, id, primary int64) (bool, error) {
	a, err := f.candidate(ctx, id)
	if err != nil {
		return false, fmt.Errorf("read item %d: %w", id, err)
	}
	b, err := f.candidate(ctx, primary)
	if err != nil {
		return false, fmt.Errorf("read item %d: %w", primary, err)
	}
	return a.better(b), nil
}

// better reports whether copy c is the better primary of a story than o:
// the editor's choice first; then the original over a copy, an original
// being a copy whose link is on its own source's site; then the copy of the
// source listed earlier in the configuration; then the one published
// first; then the one stored first. It is a strict order, so the choice is
// the same whichever copy arrives first.
func (c candidate) better(o candidate) bool {
	if c.pick != o.pick {
		return c.pick
	}
	if co, oo := c.original(), o.original(); co != oo {
		return co
	}
	if c.position != o.position {
		return c.position < o.position
	}
	if c.sortTime != o.sortTime {
		return c.sortTime < o.sortTime
	}
	return c.id < o.id
}

// original reports whether the copy's link is on its source's own site:
// the host of the feed's website, or of the feed itself when it names no
// website. A copycat that links to the original article, or to its own
// reprint while its feed names another site, is no original.
func (c candidate) original() bool {
	site := c.siteLink
	if hostOf(site) == "" {
		site = c.sourceURL
	}
	return sameSite(hostOf(c.link), hostOf(site))
}

// hostOf returns the lower-case host of an absolute URL without "www.", or
// "".
func hostOf(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// sameSite reports whether hosts a and b are one site: equal, or one a
// subdomain of the other (blog.example.com and example.com).
func sameSite(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a)
}

// SetPrimary makes item id the primary of its group of near-duplicates: it
// is published (unless hidden or excluded by the rules) with the others'
// sources listed as also seen in, and the others are folded into it. The
// choice is the editor's, and later copies never displace it. It returns
// feeds.ErrNotFound for an unknown item and ErrHidden for a hidden one.
func (db *DB) SetPrimary(ctx context.Context, id int64) error {
	if err := db.setPrimary(ctx, id); err != nil {
		return fmt.Errorf("make item %d primary: %w", id, db.writeFailed(err))
	}
	return nil
}

// ErrHidden is returned by SetPrimary for an item the editor has hidden:
// making it primary would hide its whole story.
var ErrHidden = errors.New("item is hidden")

func (db *DB) setPrimary(ctx context.Context, id int64) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var dupOf int64
	var hidden bool
	err = tx.QueryRowContext(ctx, `SELECT dup_of, hidden FROM items WHERE id = ?`, id).Scan(&dupOf, &hidden)
	if errors.Is(err, sql.ErrNoRows) {
		return feeds.ErrNotFound
	} else if err != nil {
		return err
	}
	if hidden {
		return ErrHidden
	}
	group := id
	if dupOf != 0 {
		group = dupOf
	}
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`UPDATE items SET primary_pick = 0 WHERE primary_pick = 1
			AND (id = ?1 OR (dup_of = ?1 AND dup_of <> 0))`, []any{group}},
		{foldQuery, []any{id, group, group, id}},
		{`UPDATE items SET primary_pick = 1, dup_of = 0, excluded = (rules_excluded OR hidden) WHERE id = ?`, []any{id}},
	} {
		if _, err := tx.ExecContext(ctx, q.query, q.args...); err != nil {
			return err
		}
	}
	if err := bumpVersion(ctx, tx); err != nil {
		return err
	}
	return db.commit(tx)
}

// fillAlsoIn sets AlsoIn of each item to the other sources' copies of its
// story, one query per 500 items.
func (db *DB) fillAlsoIn(ctx context.Context, items []feeds.Item) error {
	for len(items) > 500 {
		if err := db.fillAlsoIn(ctx, items[:500]); err != nil {
			return err
		}
		items = items[500:]
	}
	if len(items) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(items))
	args := make([]any, 0, len(items))
	for i := range items {
		idx[items[i].ID] = i
		args = append(args, items[i].ID)
	}
	// A copy of the primary's own source (or of a source of the same name)
	// is never listed: the entry would be "also seen in" itself.
	rows, err := db.read.QueryContext(ctx, `SELECT d.dup_of, s.name, d.link, d.link = p.link
		FROM items d
		JOIN items p ON p.id = d.dup_of
		JOIN sources s ON s.id = d.source_id
		JOIN sources ps ON ps.id = p.source_id
		WHERE d.dup_of <> 0 AND d.dup_of IN (?`+strings.Repeat(",?", len(args)-1)+`)
		AND d.source_id <> p.source_id AND s.name <> ps.name
		ORDER BY d.id`, args...)
	if err != nil {
		return fmt.Errorf("read duplicates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var of int64
		var m feeds.Mention
		var ownLink bool
		if err := rows.Scan(&of, &m.Source, &m.Link, &ownLink); err != nil {
			return fmt.Errorf("read duplicates: %w", err)
		}
		// A copy that links to the very article the entry links to names
		// its source, without the link.
		if ownLink {
			m.Link = ""
		}
		i, ok := idx[of]
		if !ok || slices.ContainsFunc(items[i].AlsoIn, func(o feeds.Mention) bool { return o.Source == m.Source }) {
			continue // one mention per source
		}
		items[i].AlsoIn = append(items[i].AlsoIn, m)
	}
	return rows.Err()
}

// DuplicateOf returns the item that item id duplicates, or 0.
func (db *DB) DuplicateOf(ctx context.Context, id int64) (int64, error) {
	var of int64
	err := db.read.QueryRowContext(ctx, `SELECT dup_of FROM items WHERE id = ?`, id).Scan(&of)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("item %d: %w", id, feeds.ErrNotFound)
	}
	return of, err
}
