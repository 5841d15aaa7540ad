package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// ItemFilter selects items for the admin commands.
type ItemFilter struct {
	Section     string    // "" for every section
	Since       time.Time // fetched at or after; zero for no bound
	Limit       int       // at most this many; 0 means 100
	Unpublished bool      // include unclassified, excluded and hidden items
	Review      bool      // only the close calls the editor should look at
}

// ListItems returns items matching f, newest first.
func (db *DB) ListItems(ctx context.Context, f ItemFilter) ([]feeds.Item, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var where []string
	var args []any
	if f.Section != "" {
		where = append(where, "i.section = ?")
		args = append(args, f.Section)
	}
	if !f.Since.IsZero() {
		where = append(where, "i.fetched_at >= ?")
		args = append(args, timeToDB(f.Since))
	}
	if !f.Unpublished {
		where = append(where, "i.section <> '' AND i.excluded = 0")
	}
	if f.Review {
		where = append(where, "i.needs_review = 1")
	}
	q := itemQuery
	if len(where) > 0 {
		q += "WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY i.sort_time DESC, i.id DESC LIMIT ?"
	args = append(args, f.Limit)
	items, err := db.queryItems(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	return items, nil
}
