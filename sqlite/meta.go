package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// KeepValue returns the value stored under key in the meta table, storing
// value there first if the key has none: the first value stored for a key
// stays, whatever later callers pass. The publisher keeps the authority of
// its tag: ids this way, so that they survive a change of base_url.
func (db *DB) KeepValue(ctx context.Context, key, value string) (string, error) {
	if key == "" || key == "version" {
		return "", fmt.Errorf("keep value %q: reserved key", key)
	}
	var v string
	err := db.read.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("keep %s: %w", key, err)
	}
	defer tx.Rollback()
	// Another process may have stored one since the read: its value wins.
	if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, value); err != nil {
		return "", fmt.Errorf("keep %s: %w", key, err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v); err != nil {
		return "", fmt.Errorf("keep %s: %w", key, err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("keep %s: %w", key, err)
	}
	return v, nil
}
