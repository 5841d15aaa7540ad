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

// titleWindow bounds how far apart in time two items with the same title
// key may be to count as one story: a recurring title ("Weekly digest 12")
// months later is another story.
const titleWindow = 30 * 24 * time.Hour

// dupFinder finds the item an item duplicates, with statements prepared
// once per transaction (parsing SQL per item would dominate the cost).
type dupFinder struct {
	byURL, byTitle *sql.Stmt
}

func newDupFinder(ctx context.Context, tx *sql.Tx) (*dupFinder, error) {
	byURL, err := tx.PrepareContext(ctx, `SELECT id FROM items
		WHERE canonical_url = ? AND canonical_url <> '' AND dup_of = 0 AND hidden = 0
		AND source_id <> ? AND id <> ? ORDER BY id LIMIT 1`)
	if err != nil {
		return nil, err
	}
	byTitle, err := tx.PrepareContext(ctx, `SELECT p.id FROM items p, items me
		WHERE me.id = ? AND p.title_key = ? AND p.title_key <> '' AND p.dup_of = 0 AND p.hidden = 0
		AND p.source_id <> ? AND p.id <> me.id AND abs(p.sort_time - me.sort_time) < ?
		ORDER BY p.id LIMIT 1`)
	if err != nil {
		byURL.Close()
		return nil, err
	}
	return &dupFinder{byURL: byURL, byTitle: byTitle}, nil
}

func (f *dupFinder) Close() {
	f.byURL.Close()
	f.byTitle.Close()
}

// primary returns the item that item id (of source sourceID) duplicates:
// the earliest-stored item of another source with the same canonical URL,
// or with the same title key within titleWindow, that is itself no
// duplicate and not hidden. It returns 0 for none.
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
	rows, err := db.read.QueryContext(ctx, `SELECT d.dup_of, s.name, d.link FROM items d
		JOIN sources s ON s.id = d.source_id
		WHERE d.dup_of <> 0 AND d.dup_of IN (?`+strings.Repeat(",?", len(args)-1)+`) ORDER BY d.id`, args...)
	if err != nil {
		return fmt.Errorf("read duplicates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var of int64
		var m feeds.Mention
		if err := rows.Scan(&of, &m.Source, &m.Link); err != nil {
			return fmt.Errorf("read duplicates: %w", err)
		}
		if i, ok := idx[of]; ok {
			items[i].AlsoIn = append(items[i].AlsoIn, m)
		}
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
