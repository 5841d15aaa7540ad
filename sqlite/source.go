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
// transaction. Each source is matched on its ConfigURL: a new one is added
// with an empty state (its URL is its ConfigURL and it is due now), a known
// one gets its name, tags and interval updated and is made active again if
// it had been removed, and its fetch state is left alone. Sources missing
// from the list are marked inactive: Sources no longer returns them but
// their items are kept.
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
		if seen[s.ConfigURL] {
			return nil, fmt.Errorf("source %s listed twice", s.ConfigURL)
		}
		seen[s.ConfigURL] = true
		urls = append(urls, s.ConfigURL)
	}

	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	sel, err := tx.PrepareContext(ctx, `SELECT id, name, tags, interval_sec, active, `+stateColumns+`
		FROM sources WHERE config_url = ?`)
	if err != nil {
		return nil, err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO sources (config_url, url, name, tags, interval_sec)
		VALUES (?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return nil, err
	}
	upd, err := tx.PrepareContext(ctx, `UPDATE sources SET name = ?, tags = ?, interval_sec = ?, active = 1
		WHERE id = ?`)
	if err != nil {
		return nil, err
	}

	changed := false
	out := make([]feeds.Source, len(sources))
	for i, s := range sources {
		tags := stringsToDB(s.Tags)
		interval := int64(s.Interval / time.Second)

		var (
			id          int64
			name, oldTg string
			oldInterval int64
			active      bool
			r           stateRow
		)
		err := sel.QueryRowContext(ctx, s.ConfigURL).Scan(append([]any{&id, &name, &oldTg, &oldInterval, &active}, r.dest()...)...)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := ins.QueryRowContext(ctx, s.ConfigURL, s.ConfigURL, s.Name, tags, interval).Scan(&id); err != nil {
				return nil, fmt.Errorf("add source %s: %w", s.ConfigURL, err)
			}
			r = stateRow{st: feeds.FetchState{URL: s.ConfigURL}}
			changed = true
		case err != nil:
			return nil, fmt.Errorf("read source %s: %w", s.ConfigURL, err)
		case name != s.Name || oldTg != tags || oldInterval != interval || !active:
			if _, err := upd.ExecContext(ctx, s.Name, tags, interval, id); err != nil {
				return nil, fmt.Errorf("update source %s: %w", s.ConfigURL, err)
			}
			changed = true
		}
		s.ID = id
		s.State = r.state()
		out[i] = s
	}

	list, _ := json.Marshal(urls) // a []string always marshals
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
