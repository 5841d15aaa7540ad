package sqlite

import (
	"context"
	"fmt"
	"time"
)

// Requeue marks the items sorted at or after since for classification again,
// as when the rules change, and returns how many it marked: the curator
// decides them anew (the editor's decisions stand). The daemon calls it when
// the learned part of the curator is retrained, so that the recent items,
// the ones an editor still works on, are decided by what it learned.
func (db *DB) Requeue(ctx context.Context, since time.Time) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("requeue items: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE items SET rules_version = ''
		WHERE sort_time >= ? AND rules_version <> ''`, timeToDB(since))
	if err != nil {
		return 0, fmt.Errorf("requeue items: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if err := db.commit(tx); err != nil {
		return 0, fmt.Errorf("requeue items: %w", err)
	}
	if n > 0 {
		db.writer.signalQueued()
	}
	return int(n), nil
}
