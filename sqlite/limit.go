package sqlite

import (
	"context"
	"fmt"
)

// SetMaxSize caps the database file at about maxBytes (0 lifts the cap).
// Past it, writes fail with SQLite's "database or disk is full", exactly as
// on a full disk: the transaction rolls back whole, the failing fetch is
// retried later, and reads go on. Pruning or a larger cap lets writes resume.
func (db *DB) SetMaxSize(ctx context.Context, maxBytes int64) error {
	var pageSize int64
	if err := db.write.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return fmt.Errorf("read page size: %w", err)
	}
	pages := int64(1<<31 - 2) // SQLite's own maximum
	if maxBytes > 0 {
		pages = max(maxBytes/pageSize, 1)
	}
	// The writer is one connection kept open for the life of the DB, so a
	// per-connection pragma holds for every write.
	var got int64
	if err := db.write.QueryRowContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)).Scan(&got); err != nil {
		return fmt.Errorf("set max page count: %w", err)
	}
	return nil
}
