package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ownerKey is the meta key of the configuration file that owns the
// database's source list.
const ownerKey = "config_path"

// ConfigOwner returns the configuration file recorded by SetConfigOwner,
// "" when none is.
func (db *DB) ConfigOwner(ctx context.Context) (string, error) {
	var path string
	err := db.read.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", ownerKey).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read configuration owner: %w", err)
	}
	return path, nil
}

// SetConfigOwner records path as the configuration whose sources the
// database follows: the commands that replace the source list compare it
// with their own, so that a second configuration does not silently
// overwrite the list of the daemon's.
func (db *DB) SetConfigOwner(ctx context.Context, path string) error {
	if _, err := db.write.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, ownerKey, path); err != nil {
		return fmt.Errorf("record configuration owner: %w", err)
	}
	return nil
}
