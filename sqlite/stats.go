package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Stats are figures about the store for health checks, metrics and the
// admin commands.
type Stats struct {
	Sources        int            // active sources
	SourcesFailing int            // active sources whose last fetch failed (in backoff)
	Items          int            // all stored items
	Unclassified   int            // items waiting for the curator
	Excluded       int            // items not published: exclude rules, hidden, duplicates
	Duplicates     int            // items published under another source's copy of the story
	ItemsBySection map[string]int // published items per section
	LastSuccess    time.Time      // the most recent successful fetch of any source
	OldestItem     time.Time      // fetch time of the oldest stored item
	NewestItem     time.Time      // fetch time of the newest stored item
	DatabaseBytes  int64          // page_count * page_size
	FreelistBytes  int64          // free pages, reclaimable by vacuum
}

// Stats reads the store's figures. It reads indexes and small tables only.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	st := Stats{ItemsBySection: map[string]int{}}
	var last, oldest, newest sql.NullInt64
	err := db.read.QueryRowContext(ctx, `
		SELECT count(*), coalesce(sum(error_count > 0), 0), max(last_success)
		FROM sources WHERE active = 1`).Scan(&st.Sources, &st.SourcesFailing, &last)
	if err != nil {
		return st, fmt.Errorf("read source stats: %w", err)
	}
	st.LastSuccess = timeFromDB(last)
	err = db.read.QueryRowContext(ctx, `
		SELECT count(*), coalesce(sum(section = ''), 0), coalesce(sum(excluded), 0), coalesce(sum(dup_of <> 0), 0),
		min(fetched_at), max(fetched_at)
		FROM items`).Scan(&st.Items, &st.Unclassified, &st.Excluded, &st.Duplicates, &oldest, &newest)
	if err != nil {
		return st, fmt.Errorf("read item stats: %w", err)
	}
	st.OldestItem, st.NewestItem = timeFromDB(oldest), timeFromDB(newest)
	rows, err := db.read.QueryContext(ctx, `
		SELECT section, count(*) FROM items
		WHERE section <> '' AND excluded = 0 GROUP BY section`)
	if err != nil {
		return st, fmt.Errorf("read section stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return st, fmt.Errorf("read section stats: %w", err)
		}
		st.ItemsBySection[s] = n
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("read section stats: %w", err)
	}
	var pages, size, free int64
	if err := db.read.QueryRowContext(ctx, `SELECT * FROM pragma_page_count(), pragma_page_size(), pragma_freelist_count()`).Scan(&pages, &size, &free); err != nil {
		return st, fmt.Errorf("read database size: %w", err)
	}
	st.DatabaseBytes, st.FreelistBytes = pages*size, free*size
	return st, nil
}
