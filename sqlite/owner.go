package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Meta keys of the running daemon's records.
const (
	ownerKey    = "config_path" // the configuration file that owns the source list
	httpAddrKey = "http_addr"   // the address the daemon listens on
)

// ConfigOwner returns the configuration file recorded by SetConfigOwner,
// "" when none is.
func (db *DB) ConfigOwner(ctx context.Context) (string, error) {
	return db.getMetaText(ctx, ownerKey)
}

// SetConfigOwner records path as the configuration whose sources the
// database follows: the commands that replace the source list compare it
// with their own, so that a second configuration does not silently
// overwrite the list of the daemon's.
func (db *DB) SetConfigOwner(ctx context.Context, path string) error {
	return db.putMetaText(ctx, ownerKey, path)
}

// HTTPAddr returns the address recorded by SetHTTPAddr, "" when none is.
func (db *DB) HTTPAddr(ctx context.Context) (string, error) {
	return db.getMetaText(ctx, httpAddrKey)
}

// SetHTTPAddr records the address the daemon listens on, so that commands
// reach it when the configuration asks for any free port (listen: host:0).
func (db *DB) SetHTTPAddr(ctx context.Context, addr string) error {
	return db.putMetaText(ctx, httpAddrKey, addr)
}

func (db *DB) getMetaText(ctx context.Context, key string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, "SELECT CAST(value AS TEXT) FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	return v, nil
}

func (db *DB) putMetaText(ctx context.Context, key, value string) error {
	if _, err := db.write.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("record %s: %w", key, err)
	}
	return nil
}
