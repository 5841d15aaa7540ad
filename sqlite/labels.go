package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// Origins of a labelled example (labels.origin).
const (
	OriginImported = "imported" // an item of a past issue, or of a labelled file
	OriginMoved    = "moved"    // the editor moved the item to the section
	OriginHidden   = "hidden"   // the editor hid the item: not for the digest
	// OriginPublished: the editor kept the item in a published issue.
	OriginPublished = "published"
	// OriginRejected: the editor rejected the item from an issue: not for
	// the digest, though the feeds still carry it.
	OriginRejected = "rejected"
)

// archiveConfigURL identifies the one source that holds the items of every
// imported issue. It is no URL a configuration can name, so SyncSources
// never touches it.
const archiveConfigURL = "archive:"

// ArchiveName is the name of the source of imported issues' items.
const ArchiveName = "archive"

// ArchiveEntry is one item of a past issue, as ImportIssue stores it.
// CanonicalURL and TitleKey are the item's keys for near-duplicates
// (curator.Fingerprint), computed by the caller.
type ArchiveEntry struct {
	Section      string
	Title        string
	Summary      string
	Link         string
	CanonicalURL string
	TitleKey     string
}

// ArchiveIssue is a past issue to import: its week, when it was published,
// where its week starts in the digest's time zone, and its items in the
// order the issue shows them.
type ArchiveIssue struct {
	Week    feeds.Week
	Date    time.Time
	Start   time.Time
	Entries []ArchiveEntry
}

// LabelledEntry is an item of a labelled file (the `rules eval` format),
// with its keys for near-duplicates.
type LabelledEntry struct {
	Title, Summary, Section, Source, Link string
	CanonicalURL, TitleKey                string
}

// ImportStats says what an import did.
type ImportStats struct {
	New       int `json:"new"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Example is a labelled example, for measuring and training the curator.
type Example struct {
	ID      int64  `json:"id"`
	Origin  string `json:"origin"` // OriginImported, OriginMoved, OriginHidden, OriginPublished or OriginRejected
	ItemID  int64  `json:"item_id,omitempty"`
	Section string `json:"section"` // for a hide, the section the item was in
	// Issue is the week of the issue the example comes from: the imported
	// issue's, or the week of the item's sort time; zero for a labelled
	// file's.
	Issue   feeds.Week `json:"-"`
	Title   string     `json:"title"`
	Summary string     `json:"summary,omitempty"`
	Source  string     `json:"source,omitempty"` // "" for past issues' items
	Link    string     `json:"link,omitempty"`
}

// Hidden reports whether the example says "not for the digest".
func (e *Example) Hidden() bool { return e.Origin == OriginHidden || e.Origin == OriginRejected }

// ImportIssue stores the items of a past issue as published items of the
// archive source (created on first use): in their section, which no
// re-classification changes; never pruned; with the issue's week as their
// sort time, so that the digest of that week rebuilds the issue; and each
// with an imported label. The curator classifies them like any other item,
// which marks later copies of their articles as near-duplicates.
//
// It is idempotent: an item is identified by the issue's week and its
// canonical URL (its title key, else its title, when it has no link), and
// importing the same issue again changes nothing; an item whose text or
// section changed is updated. An article that appears twice in one issue
// is stored once, in its first section.
func (db *DB) ImportIssue(ctx context.Context, is ArchiveIssue, now time.Time) (ImportStats, error) {
	st, err := db.importIssue(ctx, is, now)
	if err != nil {
		return ImportStats{}, fmt.Errorf("import issue %s: %w", is.Week, db.writeFailed(err))
	}
	return st, nil
}

func (db *DB) importIssue(ctx context.Context, is ArchiveIssue, now time.Time) (ImportStats, error) {
	var st ImportStats
	if !is.Week.Valid() {
		return st, feeds.ErrBadWeek
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	src, err := archiveSource(ctx, tx)
	if err != nil {
		return st, err
	}
	seen := map[string]bool{}
	for i, e := range is.Entries {
		key := "issue:" + is.Week.String() + ":" + entryIdentity(e.CanonicalURL, e.TitleKey, e.Title)
		if seen[key] {
			st.Unchanged++
			continue
		}
		seen[key] = true
		it := feeds.Item{Title: e.Title, Summary: e.Summary, Link: e.Link, Published: is.Date}
		// The section is part of what an import can change.
		hash := hashOf(feeds.ContentHash(&it), e.Section)
		// The issue's order, a second apart, inside its week.
		sortTime := is.Start.Add(time.Duration(i) * time.Second)
		var id int64
		var old string
		err := tx.QueryRowContext(ctx, `SELECT id, hash FROM items WHERE source_id = ? AND key = ?`, src, key).Scan(&id, &old)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = tx.QueryRowContext(ctx, `INSERT INTO items (source_id, key, link, title,
				published, fetched_at, sort_time, hash, section, override_section, pinned, canonical_url, title_key)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id`,
				src, key, e.Link, e.Title, timeToDB(is.Date), timeToDB(now),
				timeToDB(sortTime), hash, e.Section, e.Section, e.CanonicalURL, e.TitleKey).Scan(&id)
			if err != nil {
				return st, fmt.Errorf("insert item %s: %w", key, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO item_text (id, summary) VALUES (?, ?)`, id, e.Summary); err != nil {
				return st, fmt.Errorf("insert text of item %s: %w", key, err)
			}
			st.New++
		case err != nil:
			return st, fmt.Errorf("read item %s: %w", key, err)
		case old == hash:
			st.Unchanged++
			continue
		default:
			// The section goes in at once; rules_version '' has the
			// curator look at the item again (for duplicates).
			if _, err := tx.ExecContext(ctx, `UPDATE items SET link = ?, title = ?, published = ?,
				sort_time = ?, hash = ?, section = ?, override_section = ?, canonical_url = ?, title_key = ?,
				rules_version = '' WHERE id = ?`,
				e.Link, e.Title, timeToDB(is.Date), timeToDB(sortTime), hash,
				e.Section, e.Section, e.CanonicalURL, e.TitleKey, id); err != nil {
				return st, fmt.Errorf("update item %s: %w", key, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO item_text (id, summary) VALUES (?, ?)
				ON CONFLICT (id) DO UPDATE SET summary = excluded.summary`, id, e.Summary); err != nil {
				return st, fmt.Errorf("update text of item %s: %w", key, err)
			}
			st.Updated++
		}
		if err := putLabel(ctx, tx, label{origin: OriginImported, key: key, itemID: id, section: e.Section,
			issue: is.Week.String(), at: sortTime, title: e.Title, summary: e.Summary, link: e.Link,
			canonicalURL: e.CanonicalURL, titleKey: e.TitleKey, hash: hash}, now); err != nil {
			return st, err
		}
	}
	if st.New+st.Updated > 0 {
		if err := bumpVersion(ctx, tx); err != nil {
			return st, err
		}
	}
	return st, db.commit(tx)
}

// ImportLabels stores the items of a labelled file as imported labels. They
// belong to no issue and are not stored as items: they have no date to
// place them in a week. An entry is identified by its title and source, so
// importing a file again changes nothing; a changed section or text
// updates the label.
func (db *DB) ImportLabels(ctx context.Context, entries []LabelledEntry, now time.Time) (ImportStats, error) {
	var st ImportStats
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("import labels: %w", db.writeFailed(err))
	}
	defer tx.Rollback()
	for _, e := range entries {
		key := "labelled:" + e.Source + ":" + entryIdentity("", e.TitleKey, e.Title)
		hash := hashOf(e.Title, e.Summary, e.Section, e.Source, e.Link)
		var old string
		err := tx.QueryRowContext(ctx, `SELECT hash FROM labels WHERE key = ?`, key).Scan(&old)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			st.New++
		case err != nil:
			return st, fmt.Errorf("import labels: read %s: %w", key, err)
		case old == hash:
			st.Unchanged++
			continue
		default:
			st.Updated++
		}
		if err := putLabel(ctx, tx, label{origin: OriginImported, key: key, section: e.Section, title: e.Title,
			summary: e.Summary, link: e.Link, source: e.Source, canonicalURL: e.CanonicalURL,
			titleKey: e.TitleKey, hash: hash}, now); err != nil {
			return st, fmt.Errorf("import labels: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("import labels: %w", db.writeFailed(err))
	}
	return st, nil
}

func hashOf(parts ...string) string {
	it := feeds.Item{Title: strings.Join(parts, "\x00")}
	return feeds.ContentHash(&it)
}

// entryIdentity is what identifies an imported item: its canonical URL,
// else its title key, else its title.
func entryIdentity(canonicalURL, titleKey, title string) string {
	switch {
	case canonicalURL != "":
		return "url:" + canonicalURL
	case titleKey != "":
		return "title:" + titleKey
	}
	return "text:" + strings.Join(strings.Fields(title), " ")
}

// archiveSource returns the id of the archive source, adding it if needed.
func archiveSource(ctx context.Context, tx *sql.Tx) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM sources WHERE config_url = ?`, archiveConfigURL).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `INSERT INTO sources (config_url, url, name, active, archive)
			VALUES (?, ?, ?, 0, 1) RETURNING id`, archiveConfigURL, archiveConfigURL, ArchiveName).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("archive source: %w", err)
	}
	return id, nil
}

// label is a row of labels.
type label struct {
	origin, key                  string
	itemID                       int64
	section, issue               string
	at                           time.Time
	title, summary, link, source string
	canonicalURL, titleKey, hash string
}

func putLabel(ctx context.Context, tx *sql.Tx, l label, now time.Time) error {
	item := sql.NullInt64{Int64: l.itemID, Valid: l.itemID != 0}
	_, err := tx.ExecContext(ctx, `INSERT INTO labels (origin, key, item_id, section, issue, at, title, summary,
		link, source, canonical_url, title_key, hash, labelled_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET origin = excluded.origin, item_id = excluded.item_id,
			section = excluded.section, issue = excluded.issue, at = excluded.at, title = excluded.title,
			summary = excluded.summary, link = excluded.link, source = excluded.source,
			canonical_url = excluded.canonical_url, title_key = excluded.title_key, hash = excluded.hash,
			labelled_at = excluded.labelled_at`,
		l.origin, l.key, item, l.section, l.issue, timeToDB(l.at), l.title, l.summary, l.link, l.source,
		l.canonicalURL, l.titleKey, l.hash, timeToDB(now))
	if err != nil {
		return fmt.Errorf("store label %s: %w", l.key, err)
	}
	return nil
}

// Examples returns every labelled example, the oldest issue first (those of
// no issue, from labelled files, before all), then in the order they were
// labelled. The week of a move or a hide is that of the item's sort time
// in loc (nil: UTC), the digest's time zone.
func (db *DB) Examples(ctx context.Context, loc *time.Location) ([]Example, error) {
	if loc == nil {
		loc = time.UTC
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, origin, coalesce(item_id, 0), section, issue, at,
		title, summary, source, link FROM labels ORDER BY coalesce(at, 0), id`)
	if err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	defer rows.Close()
	var out []Example
	for rows.Next() {
		var e Example
		var issue string
		var at sql.NullInt64
		if err := rows.Scan(&e.ID, &e.Origin, &e.ItemID, &e.Section, &issue, &at, &e.Title, &e.Summary,
			&e.Source, &e.Link); err != nil {
			return nil, fmt.Errorf("read labels: %w", err)
		}
		switch {
		case issue != "":
			if e.Issue, err = feeds.ParseWeek(issue); err != nil {
				return nil, fmt.Errorf("label %d: %w", e.ID, err)
			}
		case at.Valid:
			e.Issue = feeds.WeekOf(timeFromDB(at).In(loc))
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	return out, nil
}

// Featured is a published item that an article was already featured as.
type Featured struct {
	ItemID  int64      `json:"item_id"`
	Title   string     `json:"title"`
	Section string     `json:"section"`
	Week    feeds.Week `json:"-"`
	Archive bool       `json:"archive"` // an item of an imported issue
	Link    string     `json:"link,omitempty"`
}

// featuredTitleWindow bounds how far back a title key alone identifies an
// article already featured: a canonical URL identifies it forever, but a
// title can recur ("Kubernetes 1.8 发布" once, "本周业内技术动态" every week).
const featuredTitleWindow = 366 * 24 * time.Hour

// The queries of FeaturedBefore. Each repeats its partial index's condition
// literally (items_canonical_url, items_title_key), which is what lets
// SQLite use it: one index probe per query.
const (
	featuredCols = `SELECT i.id, i.title, i.section, i.sort_time, s.archive, i.link
		FROM items i JOIN sources s ON s.id = i.source_id `
	featuredByURL = featuredCols + `WHERE i.canonical_url = ? AND i.canonical_url <> '' AND i.dup_of = 0
		AND i.hidden = 0 AND i.excluded = 0 AND i.section <> '' AND i.sort_time < ?
		ORDER BY i.sort_time DESC, i.id DESC LIMIT 1`
	featuredByTitle = featuredCols + `WHERE i.title_key = ? AND i.title_key <> '' AND i.dup_of = 0
		AND i.hidden = 0 AND i.excluded = 0 AND i.section <> '' AND i.sort_time < ? AND i.sort_time >= ?
		ORDER BY i.sort_time DESC, i.id DESC LIMIT 1`
)

// FeaturedBefore reports whether an article with canonicalURL or titleKey
// (curator.Fingerprint) was published (in a section, not excluded) in an
// issue before the week that starts at before: the latest such item, with
// its week in loc (nil: UTC). A title key matches within a year only. It
// returns feeds.ErrNotFound when there is none.
func (db *DB) FeaturedBefore(ctx context.Context, canonicalURL, titleKey string, before time.Time, loc *time.Location) (Featured, error) {
	if loc == nil {
		loc = time.UTC
	}
	type query struct {
		sql  string
		args []any
	}
	var qs []query
	if canonicalURL != "" {
		qs = append(qs, query{featuredByURL, []any{canonicalURL, before.UnixMilli()}})
	}
	if titleKey != "" {
		qs = append(qs, query{featuredByTitle, []any{titleKey, before.UnixMilli(), before.Add(-featuredTitleWindow).UnixMilli()}})
	}
	var best Featured
	var bestAt int64 = -1 << 62
	for _, q := range qs {
		var f Featured
		var at int64
		err := db.read.QueryRowContext(ctx, q.sql, q.args...).Scan(&f.ItemID, &f.Title, &f.Section, &at, &f.Archive, &f.Link)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return Featured{}, fmt.Errorf("featured before %s: %w", before.Format(time.RFC3339), err)
		}
		if at > bestAt {
			f.Week = feeds.WeekOf(time.UnixMilli(at).In(loc))
			best, bestAt = f, at
		}
	}
	if best.ItemID == 0 {
		return Featured{}, fmt.Errorf("featured before %s: %w", before.Format(time.RFC3339), feeds.ErrNotFound)
	}
	return best, nil
}

// LabelsVersion returns a value that changes whenever a label is added,
// changed or withdrawn: the model trained on Examples needs retraining when
// it differs from the one it was trained under. It costs one query.
func (db *DB) LabelsVersion(ctx context.Context) (string, error) {
	var n, maxID, maxAt int64
	if err := db.read.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0), coalesce(max(labelled_at), 0) FROM labels`).
		Scan(&n, &maxID, &maxAt); err != nil {
		return "", fmt.Errorf("labels version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", n, maxID, maxAt), nil
}
