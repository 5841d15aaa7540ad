package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/feedcurator/feedcurator/feeds"
)

// CuratedItem is a classified item with the editor's decision about it.
type CuratedItem struct {
	feeds.Item
	Curation feeds.Curation
}

// ClassifiedItems returns up to limit classified items (those with a
// section) with an ID above afterID, in ID order, each with the editor's
// curation, from one snapshot. Pass the last ID returned as afterID to page
// through the store.
func (db *DB) ClassifiedItems(ctx context.Context, afterID int64, limit int) ([]CuratedItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("classified items: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, itemQuery+`WHERE i.id > ? AND i.section <> '' ORDER BY i.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("classified items: %w", err)
	}
	items, err := scanItems(rows)
	if err != nil {
		return nil, fmt.Errorf("classified items: %w", err)
	}
	out := make([]CuratedItem, len(items))
	at := make(map[int64]int, len(items))
	for i, it := range items {
		out[i].Item = it
		at[it.ID] = i
	}
	if len(items) == 0 {
		return out, nil
	}
	rows, err = tx.QueryContext(ctx, `SELECT id, override_section, hidden, pinned FROM items
		WHERE id > ? AND id <= ? AND (override_section <> '' OR hidden OR pinned)`, afterID, items[len(items)-1].ID)
	if err != nil {
		return nil, fmt.Errorf("classified items: curations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c feeds.Curation
		if err := rows.Scan(&id, &c.Section, &c.Hidden, &c.Pinned); err != nil {
			return nil, fmt.Errorf("classified items: curations: %w", err)
		}
		if i, ok := at[id]; ok {
			out[i].Curation = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("classified items: curations: %w", err)
	}
	return out, nil
}
