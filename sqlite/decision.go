package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/feedcurator/feedcurator/feeds"
)

// ItemDecision is a stored item with everything the store has decided
// about it, as explain shows it.
type ItemDecision struct {
	Item         feeds.Item
	Curation     feeds.Curation // the editor's decision
	DuplicateOf  int64          // the item it is published under, 0 for none
	RulesVersion string         // rules that set its section; "" after an edit
}

// ItemDecision reads item id and its decisions in one read transaction, so
// that they agree with each other; feeds.ErrNotFound for no such item.
func (db *DB) ItemDecision(ctx context.Context, id int64) (ItemDecision, error) {
	var d ItemDecision
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return d, fmt.Errorf("item %d: %w", id, err)
	}
	defer tx.Rollback()
	d.Item, err = scanItem(tx.QueryRowContext(ctx, itemQuery+`WHERE i.id = ?`, id))
	if err == nil {
		err = tx.QueryRowContext(ctx, `SELECT override_section, hidden, pinned, dup_of, rules_version FROM items WHERE id = ?`, id).
			Scan(&d.Curation.Section, &d.Curation.Hidden, &d.Curation.Pinned, &d.DuplicateOf, &d.RulesVersion)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("item %d: %w", id, feeds.ErrNotFound)
	} else if err != nil {
		return d, fmt.Errorf("item %d: %w", id, err)
	}
	return d, nil
}
