package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SourceHealth are the figures of the health check: they read the sources
// table alone, never the items.
type SourceHealth struct {
	Sources        int       // active sources
	SourcesFailing int       // active sources whose last fetch failed
	LastSuccess    time.Time // the most recent successful fetch of any source
}

// SourceHealth reads the health figures.
func (db *DB) SourceHealth(ctx context.Context) (SourceHealth, error) {
	var h SourceHealth
	var last sql.NullInt64
	err := db.read.QueryRowContext(ctx, `
		SELECT count(*), coalesce(sum(error_count > 0), 0), max(last_success)
		FROM sources WHERE active = 1`).Scan(&h.Sources, &h.SourcesFailing, &last)
	if err != nil {
		return h, fmt.Errorf("read source health: %w", err)
	}
	h.LastSuccess = timeFromDB(last)
	return h, nil
}
