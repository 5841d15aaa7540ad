package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// maxFuture is how far past the fetch time an item's published date may lie
// and still be used for sorting. Later dates are clock or parse errors
// (or a feed gaming the top of the list), so the fetch time is used instead.
const maxFuture = time.Hour

// SaveFetch records the outcome of one fetch of source sourceID: its whole
// fetch state st, and items (nil after a failure or a 304), in a single
// transaction, so the stored ETag and Last-Modified never describe items
// that were not stored.
//
// Items are matched on (source, Key). A new item is inserted unclassified,
// with now as its fetch time and its published date as its sort time (now
// when the date is missing or more than an hour ahead of now). A known item
// with the same Hash is left alone. A known item whose Hash changed gets its
// text and dates replaced and is queued for classification again, keeping
// its section (and so its place in the published feed) meanwhile and its
// sort time. An item with no Key or Hash gets feeds.ItemKey or
// feeds.ContentHash. When a key occurs twice in items the first occurrence
// wins and the later ones count as unchanged, so a feed with duplicate
// GUIDs does not flip-flop between them on every fetch. A fetch of the URL
// a source had before SyncSources changed it (one under way at the change)
// stores its items but not its state.
//
// Concurrent calls may share one transaction (see writer.go); each still
// succeeds or fails alone, and returns once its write is committed. It
// returns feeds.ErrNotFound for an unknown source, and ErrClosed after
// Close.
func (db *DB) SaveFetch(ctx context.Context, sourceID int64, st feeds.FetchState, items []feeds.Item, now time.Time) (feeds.SaveStats, error) {
	if now.IsZero() {
		now = time.Now()
	}
	r := &saveRequest{ctx: ctx, sourceID: sourceID, st: st, items: items, now: now, done: make(chan saveResult, 1)}
	r.decided = db.predecide(ctx, sourceID, st, items, now)
	stats, err := db.enqueueSave(r)
	if err != nil {
		return feeds.SaveStats{}, fmt.Errorf("save fetch of source %d: %w", sourceID, db.writeFailed(err))
	}
	return stats, nil
}

// lookupQuery finds which of a fetch's keys (a JSON array) a source
// already has, through the (source_id, key) index.
const lookupQuery = `SELECT key, id, hash FROM items
	WHERE source_id = ? AND key IN (SELECT value FROM json_each(?))`

// saver holds the statements of SaveFetch. The writer prepares them once,
// on the write connection, and binds them to each transaction: preparing is
// a noticeable cost next to a small batch.
//
// It also holds the statements that store decisions, SaveFetch's for the
// items it classifies and SetSections', prepared the same way; and source,
// prepared on the read pool, with which SaveFetch's callers read what they
// classify an item with.
type saver struct {
	state, exists, lookup, ins, upd, insText, updText *sql.Stmt
	insDecided, sourceNow, current, decide, confirm   *sql.Stmt
	demote                                            *sql.Stmt
	dups                                              *dupFinder
	source                                            *sql.Stmt // on the read pool
}

func prepareSave(ctx context.Context, db, read *sql.DB) (*saver, error) {
	var s saver
	var err error
	prep := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, query)
		return st
	}
	// A fetch of the URL a source had before its URL changed, which was
	// under way when the change was synced, writes no state: it would put
	// that URL back, with its validators and errors, and the source would
	// be polled there for good. Its items are still the source's.
	s.state = prep(`UPDATE sources SET url = ?1, etag = ?2, last_modified = ?3,
		last_fetch = ?4, last_success = ?5, next_check = ?6, error_count = ?7, last_error = ?8,
		last_status = ?9, feed_title = ?10, feed_link = ?11, feed_lang = ?12, gone = ?13
		WHERE id = ?14 AND NOT (previous_url <> '' AND ?1 = previous_url AND ?1 <> config_url)`)
	s.exists = prep(`SELECT count(*) FROM sources WHERE id = ?`)
	// One query per fetch finds which of its items are known, instead of
	// one query per item.
	s.lookup = prep(lookupQuery)
	s.ins = prep(`INSERT INTO items (source_id, key, guid, link, title,
		author, categories, lang, published, updated, fetched_at, sort_time, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	s.insText = prep(`INSERT INTO item_text (id, summary, content) VALUES (?, ?, ?)`)
	s.upd = prep(`UPDATE items SET guid = ?, link = ?, title = ?,
		author = ?, categories = ?, lang = ?, published = ?, updated = ?, hash = ?,
		rules_version = ''
		WHERE id = ?`)
	s.updText = prep(`INSERT INTO item_text (id, summary, content) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET summary = excluded.summary, content = excluded.content`)
	s.insDecided = prep(insertDecided)
	s.sourceNow = prep(sourceQuery)
	s.current = prep(sectionsQuery)
	s.decide = prep(updateDecision)
	s.confirm = prep(confirmDecision)
	// A copy that becomes the primary of its group takes the old primary's
	// place: the old primary and the copies folded into it are folded into
	// the new one. A primary that becomes a copy hands its copies on.
	s.demote = prep(foldQuery)
	if err == nil {
		s.dups, err = newDupFinder(ctx, db)
	}
	if err == nil {
		s.source, err = read.PrepareContext(ctx, sourceQuery)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return &s, nil
}

// sourceQuery reads what an item's classification takes from its source,
// in the form it is stored.
const sourceQuery = `SELECT name, tags FROM sources WHERE id = ?`

// in returns the statements bound to tx; they need no closing.
func (s *saver) in(ctx context.Context, tx *sql.Tx) *saver {
	return &saver{
		state:   tx.StmtContext(ctx, s.state),
		exists:  tx.StmtContext(ctx, s.exists),
		lookup:  tx.StmtContext(ctx, s.lookup),
		ins:     tx.StmtContext(ctx, s.ins),
		upd:     tx.StmtContext(ctx, s.upd),
		insText: tx.StmtContext(ctx, s.insText),
		updText: tx.StmtContext(ctx, s.updText),

		insDecided: tx.StmtContext(ctx, s.insDecided),
		sourceNow:  tx.StmtContext(ctx, s.sourceNow),
		current:    tx.StmtContext(ctx, s.current),
		decide:     tx.StmtContext(ctx, s.decide),
		confirm:    tx.StmtContext(ctx, s.confirm),
		demote:     tx.StmtContext(ctx, s.demote),
		dups:       s.dups.in(ctx, tx),
	}
}

// decisions returns the statements that store decisions, from a saver
// bound to a transaction.
func (s *saver) decisions() *decisionWriter {
	return &decisionWriter{upd: s.decide, confirm: s.confirm, demote: s.demote, dups: s.dups}
}

func (s *saver) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.state, s.exists, s.lookup, s.ins, s.upd, s.insText, s.updText,
		s.insDecided, s.sourceNow, s.current, s.decide, s.confirm, s.demote, s.source} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.dups != nil {
		errs = append(errs, s.dups.Close())
	}
	return errors.Join(errs...)
}

// saveFetch writes one fetch's state and items. New items that sort before
// cutoff (retention's horizon; zero for none) are not stored, and count as
// unchanged: pruning them would otherwise be undone by the next fetch of a
// feed that still lists them. New items are stored with their decisions
// from d when it holds them (see decide.go), and counted in
// stats.undecided when it does not.
func (s *saver) saveFetch(ctx context.Context, sourceID int64, st feeds.FetchState, items []feeds.Item, d *decided, now, cutoff time.Time) (saveStats, error) {
	var stats saveStats
	res, err := s.state.ExecContext(ctx,
		st.URL, st.ETag, st.LastModified,
		timeToDB(st.LastFetch), timeToDB(st.LastSuccess), timeToDB(st.NextCheck), st.ErrorCount, st.LastError,
		st.LastStatus, st.FeedTitle, st.FeedLink, st.FeedLang, st.Gone,
		sourceID)
	if err != nil {
		return stats, fmt.Errorf("write state: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return stats, err
	} else if n == 0 {
		var found int
		if err := s.exists.QueryRowContext(ctx, sourceID).Scan(&found); err != nil {
			return stats, fmt.Errorf("read source: %w", err)
		}
		if found == 0 {
			return stats, feeds.ErrNotFound
		}
	}
	if len(items) == 0 {
		return stats, nil
	}

	// Keys and hashes, the first occurrence of each key only.
	type pending struct {
		it        *feeds.Item
		i         int // in items
		key, hash string
	}
	todo := make([]pending, 0, len(items))
	keys := make([]string, 0, len(items))
	seen := make(map[string]struct{}, len(items))
	for i := range items {
		it := &items[i]
		key := it.Key
		if key == "" {
			key = feeds.ItemKey(it.GUID, it.Link, it.Title, it.Summary, it.Content)
		}
		if _, dup := seen[key]; dup {
			stats.Unchanged++
			continue
		}
		seen[key] = struct{}{}
		hash := it.Hash
		if hash == "" {
			hash = feeds.ContentHash(it)
		}
		todo = append(todo, pending{it: it, i: i, key: key, hash: hash})
		keys = append(keys, key)
	}

	type known struct {
		id   int64
		hash string
	}
	list, _ := json.Marshal(keys) // a []string always marshals
	rows, err := s.lookup.QueryContext(ctx, sourceID, string(list))
	if err != nil {
		return stats, fmt.Errorf("read items: %w", err)
	}
	stored := make(map[string]known, len(keys))
	for rows.Next() {
		var k string
		var kn known
		if err := rows.Scan(&k, &kn.id, &kn.hash); err != nil {
			rows.Close()
			return stats, fmt.Errorf("read items: %w", err)
		}
		stored[k] = kn
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return stats, fmt.Errorf("read items: %w", err)
	}

	usable, err := s.usable(ctx, sourceID, d)
	if err != nil {
		return stats, err
	}
	var decisions *decisionWriter
	if usable {
		decisions = s.decisions()
	}
	fetched := timeToDB(now)
	for _, p := range todo {
		it, key, hash := p.it, p.key, p.hash
		old, ok := stored[key]
		switch {
		case !ok:
			sortTime := now
			if !it.Published.IsZero() && !it.Published.After(now.Add(maxFuture)) {
				sortTime = it.Published
			}
			if !cutoff.IsZero() && sortTime.Before(cutoff) {
				stats.Unchanged++
				continue
			}
			var res sql.Result
			if decisions != nil {
				c := d.cs[p.i]
				res, err = s.insDecided.ExecContext(ctx, sourceID, key, it.GUID, it.Link, it.Title,
					it.Author, stringsToDB(it.Categories), it.Lang, timeToDB(it.Published), timeToDB(it.Updated),
					fetched, timeToDB(sortTime), hash,
					c.Section, c.Score, c.Excluded, d.version, c.CanonicalURL, c.TitleKey,
					c.Section, c.Excluded, c.Review && !c.Excluded)
			} else {
				res, err = s.ins.ExecContext(ctx, sourceID, key, it.GUID, it.Link, it.Title,
					it.Author, stringsToDB(it.Categories), it.Lang, timeToDB(it.Published), timeToDB(it.Updated),
					fetched, timeToDB(sortTime), hash)
			}
			if err != nil {
				return stats, fmt.Errorf("insert item %s: %w", key, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return stats, fmt.Errorf("insert item %s: %w", key, err)
			}
			if _, err := s.insText.ExecContext(ctx, id, it.Summary, it.Content); err != nil {
				return stats, fmt.Errorf("insert text of item %s: %w", key, err)
			}
			stats.New++
			if decisions == nil {
				stats.undecided++
				continue
			}
			stats.decided++
			// The row is stored: the near-duplicate checks read it.
			c := d.cs[p.i]
			c.ItemID = id
			if _, err := decisions.apply(ctx, d.version, c, current{sourceID: sourceID}, true); err != nil {
				return stats, err
			}
		case old.hash == hash:
			stats.Unchanged++
		default:
			if _, err := s.upd.ExecContext(ctx, it.GUID, it.Link, it.Title,
				it.Author, stringsToDB(it.Categories), it.Lang, timeToDB(it.Published), timeToDB(it.Updated), hash,
				old.id); err != nil {
				return stats, fmt.Errorf("update item %s: %w", key, err)
			}
			if _, err := s.updText.ExecContext(ctx, old.id, it.Summary, it.Content); err != nil {
				return stats, fmt.Errorf("update text of item %s: %w", key, err)
			}
			stats.Updated++
		}
	}
	return stats, nil
}

// itemQuery selects every feeds.Item field, in the order scanItem reads
// them; callers append WHERE, ORDER BY and LIMIT.
const itemQuery = `SELECT i.id, i.source_id, i.key, i.guid, i.link, i.title, coalesce(t.summary, ''),
	coalesce(t.content, ''), i.author, i.categories, i.lang, i.published, i.updated, i.hash,
	i.fetched_at, i.section, i.score, i.excluded,
	s.name, s.url, s.feed_title, s.feed_link, s.tags
	FROM items i JOIN sources s ON s.id = i.source_id LEFT JOIN item_text t ON t.id = i.id `

// scanItem reads one row of itemQuery.
func scanItem(row interface{ Scan(...any) error }) (feeds.Item, error) {
	var (
		it                            feeds.Item
		cats, tags                    string
		published, updated, fetchedAt sql.NullInt64
	)
	err := row.Scan(&it.ID, &it.SourceID, &it.Key, &it.GUID, &it.Link, &it.Title, &it.Summary,
		&it.Content, &it.Author, &cats, &it.Lang, &published, &updated, &it.Hash,
		&fetchedAt, &it.Section, &it.Score, &it.Excluded,
		&it.SourceName, &it.SourceURL, &it.SourceTitle, &it.SourceLink, &tags)
	if err != nil {
		return feeds.Item{}, err
	}
	if it.Categories, err = stringsFromDB(cats); err != nil {
		return feeds.Item{}, fmt.Errorf("categories of item %d: %w", it.ID, err)
	}
	if it.SourceTags, err = stringsFromDB(tags); err != nil {
		return feeds.Item{}, fmt.Errorf("tags of source %d: %w", it.SourceID, err)
	}
	it.Published = timeFromDB(published)
	it.Updated = timeFromDB(updated)
	it.FetchedAt = timeFromDB(fetchedAt)
	return it, nil
}

// queryItems runs an itemQuery on the read pool.
func (db *DB) queryItems(ctx context.Context, query string, args ...any) ([]feeds.Item, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanItems(rows)
}

// scanItems reads all rows of an itemQuery and closes them.
func scanItems(rows *sql.Rows) ([]feeds.Item, error) {
	defer rows.Close()
	var items []feeds.Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// ItemsToClassify returns up to limit items, in ID order from afterID
// (exclusive), whose section was not decided by rules version rulesVersion:
// new items, edited items, and every item once the rules change. Pass the
// last returned ID as afterID to page through them.
func (db *DB) ItemsToClassify(ctx context.Context, rulesVersion string, afterID int64, limit int) ([]feeds.Item, error) {
	if rulesVersion == "" {
		// '' marks items as needing classification; it cannot be a version.
		return nil, errors.New("items to classify: empty rules version")
	}
	if limit <= 0 {
		return nil, nil
	}
	items, err := db.itemsToClassify(ctx, rulesVersion, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("items to classify: %w", err)
	}
	return items, nil
}

// itemsToClassify avoids the obvious "WHERE rules_version <> ? AND id > ?
// ORDER BY id": SQLite runs that as a walk over every item after afterID,
// reading each row's full text to reach rules_version, on every poll of a
// curator that has nothing to do. The versions in use are few (the current
// one, the empty one and perhaps an old one), so instead it lists them with
// a skip scan of items_rules_version, takes the first limit IDs above
// afterID under each other version from the same index, and merges. Each page then costs
// O(versions * (log n + limit)), whether one item or all of them need work.
func (db *DB) itemsToClassify(ctx context.Context, rulesVersion string, afterID int64, limit int) ([]feeds.Item, error) {
	tx, err := db.read.BeginTx(ctx, nil) // one snapshot for the three steps
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	var versions []string
	rows, err := tx.QueryContext(ctx, `WITH RECURSIVE v(x) AS (
			SELECT min(rules_version) FROM items
			UNION ALL
			SELECT (SELECT min(rules_version) FROM items WHERE rules_version > v.x) FROM v WHERE v.x IS NOT NULL
		)
		SELECT x FROM v WHERE x IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("list rules versions: %w", err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list rules versions: %w", err)
		}
		if v != rulesVersion {
			versions = append(versions, v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rules versions: %w", err)
	}
	if len(versions) == 0 {
		return nil, nil
	}

	var ids []int64
	for _, v := range versions {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM items INDEXED BY items_rules_version
			WHERE rules_version = ? AND id > ? ORDER BY id LIMIT ?`, v, afterID, limit)
		if err != nil {
			return nil, fmt.Errorf("list items of rules version %q: %w", v, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("list items of rules version %q: %w", v, err)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	ids = ids[:min(len(ids), limit)]

	list, _ := json.Marshal(ids) // an []int64 always marshals
	rows, err = tx.QueryContext(ctx, itemQuery+`
		WHERE i.id IN (SELECT value FROM json_each(?)) ORDER BY i.id`, string(list))
	if err != nil {
		return nil, err
	}
	return scanItems(rows)
}

// sectionsQuery reads what SetSections needs of the items whose IDs are
// in a JSON array.
const sectionsQuery = `SELECT id, section, excluded, override_section, hidden, source_id, dup_of,
	score, canonical_url, title_key, rules_section, rules_excluded, needs_review FROM items
	WHERE id IN (SELECT value FROM json_each(?))`

// SetSections stores the curator's decisions, all made under rules version
// rulesVersion, in one transaction. It returns how many items changed
// section or excluded flag, which is when the published feed changes (a
// score or explanation alone does not count). Classifications of items that
// no longer exist are skipped.
//
// An item with the canonical URL or title key of another source's item is
// a near-duplicate: its story is published once, under the better copy
// (the editor's choice, the original on its own site, the source listed
// first, the earlier date; see SetPrimary). A copy better than the story's
// published one takes its place, and the others are folded into it.
func (db *DB) SetSections(ctx context.Context, rulesVersion string, cs []feeds.Classification) (changed int, err error) {
	changed, err = db.setSections(ctx, rulesVersion, cs)
	if err != nil {
		return 0, fmt.Errorf("set sections: %w", db.writeFailed(err))
	}
	return changed, nil
}

func (db *DB) setSections(ctx context.Context, rulesVersion string, cs []feeds.Classification) (int, error) {
	if rulesVersion == "" {
		return 0, errors.New("empty rules version")
	}
	if len(cs) == 0 {
		return 0, nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	s := db.saver.in(ctx, tx)

	// The items' current sections and the editor's decisions, in one query.
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ItemID
	}
	list, _ := json.Marshal(ids) // an []int64 always marshals
	rows, err := s.current.QueryContext(ctx, string(list))
	if err != nil {
		return 0, fmt.Errorf("read items: %w", err)
	}
	cur := make(map[int64]current, len(cs))
	for rows.Next() {
		var id int64
		var c current
		if err := rows.Scan(&id, &c.section, &c.excluded, &c.override, &c.hidden, &c.sourceID, &c.dupOf,
			&c.score, &c.canonicalURL, &c.titleKey, &c.rulesSection, &c.rulesExcluded, &c.needsReview); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read items: %w", err)
		}
		cur[id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read items: %w", err)
	}

	w := s.decisions()
	changed := 0
	for _, c := range cs {
		old, ok := cur[c.ItemID]
		if !ok {
			continue
		}
		n, err := w.apply(ctx, rulesVersion, c, old, false)
		if err != nil {
			return 0, err
		}
		changed += n
	}
	if changed > 0 {
		if err := bumpVersion(ctx, tx); err != nil {
			return 0, err
		}
	}
	if err := db.commit(tx); err != nil {
		return 0, err
	}
	return changed, nil
}

// ItemRulesVersion returns the version of the rules that made item id's
// stored decision ("" before it is classified, or after an edit), or
// feeds.ErrNotFound.
func (db *DB) ItemRulesVersion(ctx context.Context, id int64) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT rules_version FROM items WHERE id = ?`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("rules version of item %d: %w", id, feeds.ErrNotFound)
	} else if err != nil {
		return "", fmt.Errorf("rules version of item %d: %w", id, err)
	}
	return v, nil
}

// RecentItems returns up to limit published items, newest first: those
// classified into section (into any section when section is "") and not
// excluded. Items are ordered by sort time, which is the published date
// clamped to the fetch time, so a feed cannot pin items to the top with
// future dates.
func (db *DB) RecentItems(ctx context.Context, section string, limit int) ([]feeds.Item, error) {
	if limit <= 0 {
		return nil, nil
	}
	var (
		items []feeds.Item
		err   error
	)
	// The WHERE clauses repeat the partial indexes' conditions literally,
	// which is what lets SQLite use them.
	if section == "" {
		items, err = db.queryItems(ctx, itemQuery+`
			WHERE i.section <> '' AND i.excluded = 0
			ORDER BY i.sort_time DESC, i.id DESC LIMIT ?`, limit)
	} else {
		items, err = db.queryItems(ctx, itemQuery+`
			WHERE i.section = ? AND i.excluded = 0
			ORDER BY i.sort_time DESC, i.id DESC LIMIT ?`, section, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("recent items of section %q: %w", section, err)
	}
	return items, nil
}

// Item returns the item with ID id, or feeds.ErrNotFound.
func (db *DB) Item(ctx context.Context, id int64) (feeds.Item, error) {
	it, err := scanItem(db.read.QueryRowContext(ctx, itemQuery+`WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return feeds.Item{}, fmt.Errorf("item %d: %w", id, feeds.ErrNotFound)
	} else if err != nil {
		return feeds.Item{}, fmt.Errorf("item %d: %w", id, err)
	}
	return it, nil
}
