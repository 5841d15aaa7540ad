package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// stateColumns are the sources columns that hold a feeds.FetchState, in the
// order stateRow.dest scans them.
const stateColumns = `url, etag, last_modified, last_fetch, last_success, next_check,
	error_count, last_error, last_status, feed_title, feed_link, feed_lang, gone`

// stateRow scans stateColumns.
type stateRow struct {
	st                              feeds.FetchState
	lastFetch, lastSuccess, nextChk sql.NullInt64
}

func (r *stateRow) dest() []any {
	return []any{&r.st.URL, &r.st.ETag, &r.st.LastModified, &r.lastFetch, &r.lastSuccess, &r.nextChk,
		&r.st.ErrorCount, &r.st.LastError, &r.st.LastStatus, &r.st.FeedTitle, &r.st.FeedLink, &r.st.FeedLang, &r.st.Gone}
}

func (r *stateRow) state() feeds.FetchState {
	st := r.st
	st.LastFetch = timeFromDB(r.lastFetch)
	st.LastSuccess = timeFromDB(r.lastSuccess)
	st.NextCheck = timeFromDB(r.nextChk)
	return st
}

// SyncSources makes the table's sources match the configured ones, in one
// transaction. Each source is matched on its ConfigURL, else on its name:
//
//   - a known ConfigURL gets its name, tags and interval updated and is made
//     active again if it had been removed, and its fetch state is left
//     alone;
//   - a new ConfigURL whose name belongs to a stored source that no other
//     configured source claims by URL is that source with its URL changed:
//     it keeps its ID and items, its URL becomes the new one (the old one is
//     remembered, see SourceURLChanges), and the fetch state that belonged
//     to the old URL (ETag, Last-Modified, errors, gone) is reset so the new
//     URL is fetched fresh, now;
//   - any other source is added with an empty state (its URL is its
//     ConfigURL and it is due now).
//
// Each source's place in the list is stored too: near-duplicates prefer the
// copy of the source listed first, and when stored sources change places
// their copies are queued for the curator to decide again. Sources missing from the list are marked
// inactive: Sources no longer returns them but their items are kept.
//
// It returns a copy of sources, in the same order, with each ID and State
// filled from the table. Two sources with the same ConfigURL are an error.
func (db *DB) SyncSources(ctx context.Context, sources []feeds.Source) ([]feeds.Source, error) {
	out, err := db.syncSources(ctx, sources)
	if err != nil {
		return nil, fmt.Errorf("sync sources: %w", err)
	}
	return out, nil
}

func (db *DB) syncSources(ctx context.Context, sources []feeds.Source) ([]feeds.Source, error) {
	urls := make([]string, 0, len(sources))
	seen := make(map[string]bool, len(sources))
	for _, s := range sources {
		if s.ConfigURL == "" {
			return nil, fmt.Errorf("source %q has no URL", s.Name)
		}
		// The same source URL is the same whatever its spelling
		// (feeds.SourceKey), as the configuration's validation says.
		k := feeds.SourceKey(s.ConfigURL)
		if seen[k] {
			return nil, fmt.Errorf("source %s listed twice", s.ConfigURL)
		}
		seen[k] = true
		urls = append(urls, s.ConfigURL)
	}

	list, _ := json.Marshal(urls) // a []string always marshals

	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	const cols = `id, name, tags, interval_sec, active, position, `
	sel, err := tx.PrepareContext(ctx, `SELECT `+cols+stateColumns+`
		FROM sources WHERE config_url = ?`)
	if err != nil {
		return nil, err
	}
	// A source of that name that no configured URL claims: the active one
	// first, then the oldest.
	byName, err := tx.PrepareContext(ctx, `SELECT config_url, `+cols+stateColumns+`
		FROM sources WHERE name = ? AND name <> ''
		AND config_url NOT IN (SELECT value FROM json_each(?))
		ORDER BY active DESC, id`)
	if err != nil {
		return nil, err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO sources (config_url, url, name, tags, interval_sec, position)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return nil, err
	}
	upd, err := tx.PrepareContext(ctx, `UPDATE sources SET name = ?, tags = ?, interval_sec = ?, active = 1, position = ?
		WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	moved, err := tx.PrepareContext(ctx, `UPDATE sources SET config_url = ?, url = ?,
		previous_url = config_url, url_changed_at = ?,
		name = ?, tags = ?, interval_sec = ?, active = 1, position = ?,
		etag = '', last_modified = '', next_check = NULL, error_count = 0, last_error = '',
		last_status = 0, gone = 0
		WHERE id = ?`)
	if err != nil {
		return nil, err
	}

	// A stored URL spelled otherwise than the configured one (upper-case
	// host, default port, parameters in another order) is the same source.
	spelled, err := storedSpellings(ctx, tx, sources)
	if err != nil {
		return nil, err
	}
	respell, err := tx.PrepareContext(ctx, `UPDATE sources SET config_url = ?2,
		url = CASE WHEN url = config_url THEN ?2 ELSE url END WHERE config_url = ?1`)
	if err != nil {
		return nil, err
	}

	changed := false
	reordered := false // two stored sources swapped places
	lastPosition := int64(-1)
	taken := make(map[int64]bool, len(sources)) // rows matched so far
	out := make([]feeds.Source, len(sources))
	for i, s := range sources {
		tags := stringsToDB(s.Tags)
		interval := int64(s.Interval / time.Second)

		var (
			id, oldInterval, position int64
			name, oldTg, oldURL       string
			active                    bool
			r                         stateRow
		)
		dest := append([]any{&id, &name, &oldTg, &oldInterval, &active, &position}, r.dest()...)
		if old, ok := spelled[s.ConfigURL]; ok {
			if _, err := respell.ExecContext(ctx, old, s.ConfigURL); err != nil {
				return nil, fmt.Errorf("respell source %s: %w", s.ConfigURL, err)
			}
			changed = true
		}
		err := sel.QueryRowContext(ctx, s.ConfigURL).Scan(dest...)
		urlChanged := false
		if errors.Is(err, sql.ErrNoRows) && s.Name != "" {
			err = sourceByName(ctx, byName, s.Name, string(list), taken, append([]any{&oldURL}, dest...))
			urlChanged = err == nil
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := ins.QueryRowContext(ctx, s.ConfigURL, s.ConfigURL, s.Name, tags, interval, i).Scan(&id); err != nil {
				return nil, fmt.Errorf("add source %s: %w", s.ConfigURL, err)
			}
			r = stateRow{st: feeds.FetchState{URL: s.ConfigURL}}
			changed = true
		case err != nil:
			return nil, fmt.Errorf("read source %s: %w", s.ConfigURL, err)
		case urlChanged:
			if _, err := moved.ExecContext(ctx, s.ConfigURL, s.ConfigURL, timeToDB(time.Now()), s.Name, tags, interval, i, id); err != nil {
				return nil, fmt.Errorf("change URL of source %q: %w", s.Name, err)
			}
			// What the old URL's server said does not apply to the new one.
			r.st.URL, r.st.ETag, r.st.LastModified, r.nextChk = s.ConfigURL, "", "", sql.NullInt64{}
			r.st.ErrorCount, r.st.LastError, r.st.LastStatus, r.st.Gone = 0, "", 0, false
			changed = true
		case name != s.Name || oldTg != tags || oldInterval != interval || !active || position != int64(i):
			if _, err := upd.ExecContext(ctx, s.Name, tags, interval, i, id); err != nil {
				return nil, fmt.Errorf("update source %s: %w", s.ConfigURL, err)
			}
			changed = true
		}
		if !errors.Is(err, sql.ErrNoRows) {
			// A stored source listed after one it used to precede.
			reordered = reordered || position < lastPosition
			lastPosition = max(lastPosition, position)
		}
		taken[id] = true
		s.ID = id
		s.State = r.state()
		out[i] = s
	}

	res, err := tx.ExecContext(ctx, `UPDATE sources SET active = 0
		WHERE active = 1 AND config_url NOT IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("deactivate removed sources: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n > 0 {
		changed = true
	}

	// Near-duplicates prefer the copy of the source listed first: when the
	// order changed, every copy is decided again, and takes its story's
	// place if its source now comes first.
	if reordered {
		if _, err := tx.ExecContext(ctx, `UPDATE items SET rules_version = '' WHERE dup_of <> 0`); err != nil {
			return nil, fmt.Errorf("queue near-duplicates: %w", err)
		}
	}

	// Source names and tags appear in published entries.
	if changed {
		if err := bumpVersion(ctx, tx); err != nil {
			return nil, err
		}
	}
	if err := db.commit(tx); err != nil {
		return nil, err
	}
	return out, nil
}

// sourceByName scans into dest the first row of byName for name (a source
// of that name whose URL is not configured) that is not taken yet, or
// returns sql.ErrNoRows.
func sourceByName(ctx context.Context, byName *sql.Stmt, name, configured string, taken map[int64]bool, dest []any) error {
	rows, err := byName.QueryContext(ctx, name, configured)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if id := *dest[1].(*int64); !taken[id] { // dest[0] is the URL, dest[1] the ID
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return sql.ErrNoRows
}

// URLChange records that a source's configured URL changed: SyncSources
// kept the source (its ID and items) under its name.
type URLChange struct {
	PreviousURL string    // the URL it had before, as configured then
	ChangedAt   time.Time // when SyncSources saw the change
}

// SourceURLChanges returns, keyed by source ID, the last URL change of each
// source whose URL has changed. Previous URLs may hold credentials: show
// them through feeds.RedactURL.
func (db *DB) SourceURLChanges(ctx context.Context) (map[int64]URLChange, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, previous_url, url_changed_at FROM sources
		WHERE previous_url <> ''`)
	if err != nil {
		return nil, fmt.Errorf("list source URL changes: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]URLChange)
	for rows.Next() {
		var id int64
		var c URLChange
		var at sql.NullInt64
		if err := rows.Scan(&id, &c.PreviousURL, &at); err != nil {
			return nil, fmt.Errorf("list source URL changes: %w", err)
		}
		c.ChangedAt = timeFromDB(at)
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list source URL changes: %w", err)
	}
	return out, nil
}

// storedSpellings maps each configured URL that is not stored as written,
// but whose feeds.SourceKey is that of a stored URL, to the stored one.
func storedSpellings(ctx context.Context, tx *sql.Tx, sources []feeds.Source) (map[string]string, error) {
	exact := make(map[string]bool, len(sources))
	byKey := make(map[string]string, len(sources))
	for _, s := range sources {
		exact[s.ConfigURL] = true
		byKey[feeds.SourceKey(s.ConfigURL)] = s.ConfigURL
	}
	rows, err := tx.QueryContext(ctx, `SELECT config_url FROM sources`)
	if err != nil {
		return nil, fmt.Errorf("read source URLs: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var stored string
		if err := rows.Scan(&stored); err != nil {
			return nil, fmt.Errorf("read source URLs: %w", err)
		}
		if exact[stored] {
			continue
		}
		if configured, ok := byKey[feeds.SourceKey(stored)]; ok && !exact[stored] {
			out[configured] = stored
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read source URLs: %w", err)
	}
	// A configured URL stored as written needs no respelling.
	for configured := range out {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sources WHERE config_url = ?`, configured).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			delete(out, configured)
		}
	}
	return out, nil
}

// Sources returns the active sources with their fetch state, ordered by
// name.
func (db *DB) Sources(ctx context.Context) ([]feeds.Source, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, config_url, name, tags, interval_sec, `+stateColumns+`
		FROM sources WHERE active = 1 ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	var out []feeds.Source
	for rows.Next() {
		var (
			s        feeds.Source
			tags     string
			interval int64
			r        stateRow
		)
		if err := rows.Scan(append([]any{&s.ID, &s.ConfigURL, &s.Name, &tags, &interval}, r.dest()...)...); err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		if s.Tags, err = stringsFromDB(tags); err != nil {
			return nil, fmt.Errorf("list sources: tags of %s: %w", s.ConfigURL, err)
		}
		s.Interval = time.Duration(interval) * time.Second
		s.State = r.state()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}

// SourceItemCounts returns how many items each source has stored, keyed by
// source ID. Every source in the table is present, inactive ones and those
// with no items (0) included.
func (db *DB) SourceItemCounts(ctx context.Context) (map[int64]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.id, count(i.id)
		FROM sources s LEFT JOIN items i ON i.source_id = s.id GROUP BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("count items per source: %w", err)
	}
	defer rows.Close()
	counts := make(map[int64]int)
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count items per source: %w", err)
		}
		counts[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count items per source: %w", err)
	}
	return counts, nil
}
