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

// DigestItems returns up to limit published items (not excluded) of
// section whose sort time lies in [from, to), the best first: score
// descending, then sort time, then ID. The choice is made in SQL on the
// covering index items_digest, so only the rows returned are read and
// memory stays bounded by limit whatever the store holds.
func (db *DB) DigestItems(ctx context.Context, section string, from, to time.Time, limit int) ([]feeds.Item, error) {
	if limit <= 0 || section == "" {
		return nil, nil
	}
	items, err := db.queryPublished(ctx, publishedQuery+digestItemsWhere+`
		ORDER BY i.score DESC, i.sort_time, i.id`, section, from.UnixMilli(), to.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("digest items of section %q from %s to %s: %w", section,
			from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return items, nil
}

// digestItemsWhere chooses DigestItems' rows by id on items_digest alone;
// the outer query then reads only those. The condition repeats the partial
// index's literally, which is what lets SQLite use it.
const digestItemsWhere = `WHERE i.id IN (SELECT id FROM items
		WHERE section = ? AND excluded = 0 AND sort_time >= ? AND sort_time < ?
		ORDER BY score DESC, sort_time, id LIMIT ?)`

// DigestSections returns the IDs of the sections that have published items
// whose sort time lies in [from, to), in ID order. It steps from one
// section to the next on items_digest (one index seek each) instead of
// reading the items of the range.
func (db *DB) DigestSections(ctx context.Context, from, to time.Time) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, digestSectionsQuery, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("digest sections from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("digest sections: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digest sections: %w", err)
	}
	return ids, nil
}

const digestSectionsQuery = `WITH RECURSIVE s (section) AS (
		SELECT (SELECT min(section) FROM items WHERE section > '' AND excluded = 0)
		UNION ALL
		SELECT (SELECT min(section) FROM items WHERE section > s.section AND excluded = 0)
		FROM s WHERE s.section IS NOT NULL
	)
	SELECT section FROM s WHERE section IS NOT NULL AND EXISTS (
		SELECT 1 FROM items
		WHERE items.section = s.section AND excluded = 0 AND sort_time >= ?1 AND sort_time < ?2)
	ORDER BY section`
