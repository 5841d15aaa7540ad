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

// The publisher's reads: pages of a view by keyset cursor, and the items of
// a week for the digest. Both return items with SortTime filled.

// publishedQuery is itemQuery with the sort time as an extra last column,
// read through extraScan. It is "" if itemQuery no longer has the shape
// this expects, and the queries below then fail (and their tests with
// them) instead of the whole package.
var publishedQuery = func() string {
	const from = "\n\tFROM items i JOIN sources s"
	if !strings.Contains(itemQuery, from) {
		return ""
	}
	return strings.Replace(itemQuery, from, ", i.sort_time"+from, 1)
}()

var errQueryShape = errors.New("itemQuery changed shape: update publishedQuery in publish.go")

// extraScan lets scanItem read a row of publishedQuery: the columns it
// knows, then the sort time into sortTime.
type extraScan struct {
	rows     *sql.Rows
	sortTime *int64
}

func (e extraScan) Scan(dest ...any) error {
	return e.rows.Scan(append(dest, e.sortTime)...)
}

func (db *DB) queryPublished(ctx context.Context, query string, args ...any) ([]feeds.Item, error) {
	if publishedQuery == "" {
		return nil, errQueryShape
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []feeds.Item
	for rows.Next() {
		var st int64
		it, err := scanItem(extraScan{rows: rows, sortTime: &st})
		if err != nil {
			return nil, err
		}
		it.SortTime = time.UnixMilli(st).UTC()
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := db.fillAlsoIn(ctx, items); err != nil {
		return nil, err
	}
	return items, nil
}

// PublishedItems returns a page of up to limit published items, newest
// first by sort time and then ID: those classified into section (into any
// section when section is "") and not excluded, and strictly older than
// before (from the newest when before is the zero Cursor). Pass the cursor
// of the last item returned (feeds.CursorOf) to get the next page; pages
// stay put as new items arrive at the head.
func (db *DB) PublishedItems(ctx context.Context, section string, before feeds.Cursor, limit int) ([]feeds.Item, error) {
	if limit <= 0 {
		return nil, nil
	}
	// The WHERE clauses repeat the partial indexes' conditions literally,
	// which is what lets SQLite use them, and compare (sort_time, id) as a
	// row value, which SQLite turns into a range on the index.
	var (
		where []string
		args  []any
	)
	if section == "" {
		where = append(where, "i.section <> '' AND i.excluded = 0")
	} else {
		where = append(where, "i.section = ? AND i.excluded = 0")
		args = append(args, section)
	}
	if !before.IsZero() {
		where = append(where, "(i.sort_time, i.id) < (?, ?)")
		args = append(args, before.Time.UnixMilli(), before.ID)
	}
	args = append(args, limit)
	items, err := db.queryPublished(ctx, publishedQuery+"WHERE "+strings.Join(where, " AND ")+`
		ORDER BY i.sort_time DESC, i.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("published items of section %q before %q: %w", section, before, err)
	}
	return items, nil
}

// PublishedBetween returns every published item (classified into a section,
// not excluded) whose sort time lies in [from, to), oldest first by sort
// time and then ID: the material of one digest issue.
func (db *DB) PublishedBetween(ctx context.Context, from, to time.Time) ([]feeds.Item, error) {
	items, err := db.queryPublished(ctx, publishedQuery+`
		WHERE i.section <> '' AND i.excluded = 0 AND i.sort_time >= ? AND i.sort_time < ?
		ORDER BY i.sort_time, i.id`, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("published items from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return items, nil
}
