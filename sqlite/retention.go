package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// pruneBatch bounds the rows one pruning transaction deletes, so the writer
// is never held for long.
const pruneBatch = 2000

// SetMaxAge sets the retention horizon: Prune deletes items that sort before
// now-maxAge, and SaveFetch no longer stores new items that old. Zero keeps
// everything.
func (db *DB) SetMaxAge(maxAge time.Duration) { db.maxAge.Store(int64(maxAge)) }

func (db *DB) cutoff(now time.Time) time.Time {
	if d := time.Duration(db.maxAge.Load()); d > 0 {
		return now.Add(-d)
	}
	return time.Time{}
}

// PruneStats says what Prune did.
type PruneStats struct {
	ByAge      int   // items older than the horizon
	OverCap    int   // items beyond a source's cap
	FreedBytes int64 // file space given back by the incremental vacuum
}

// pruneByAgeQuery deletes a batch of unpinned items that sort before a
// cutoff. The items_prune index makes it a walk over the rows it deletes:
// without it, every pass of retention read the whole table.
const pruneByAgeQuery = `DELETE FROM items WHERE id IN (
	SELECT id FROM items WHERE sort_time < ? AND pinned = 0 LIMIT ?)`

// Prune deletes unpinned items older than the retention horizon (see
// SetMaxAge) and, when maxPerSource > 0, each source's unpinned items beyond
// its newest maxPerSource; then it gives free pages back to the file system
// and refreshes the query planner's statistics.
func (db *DB) Prune(ctx context.Context, now time.Time, maxPerSource int) (PruneStats, error) {
	var st PruneStats
	if cut := db.cutoff(now); !cut.IsZero() {
		n, err := db.deleteBatches(ctx, pruneByAgeQuery, timeToDB(cut), pruneBatch)
		st.ByAge = n
		if err != nil {
			return st, fmt.Errorf("prune items older than %s: %w", cut.Format(time.RFC3339), err)
		}
	}
	if maxPerSource > 0 {
		rows, err := db.read.QueryContext(ctx, `SELECT source_id FROM items GROUP BY source_id HAVING count(*) > ?`, maxPerSource)
		if err != nil {
			return st, fmt.Errorf("prune: list sources over cap: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return st, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			n, err := db.deleteBatches(ctx, `DELETE FROM items WHERE id IN (
				SELECT id FROM items WHERE source_id = ? AND pinned = 0
				ORDER BY sort_time DESC, id DESC LIMIT ? OFFSET ?)`, id, pruneBatch, maxPerSource)
			st.OverCap += n
			if err != nil {
				return st, fmt.Errorf("prune source %d to %d items: %w", id, maxPerSource, err)
			}
		}
	}
	if st.ByAge+st.OverCap > 0 {
		var before, after int64
		_ = db.write.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&before)
		if _, err := db.write.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
			return st, fmt.Errorf("incremental vacuum: %w", err)
		}
		var size int64
		_ = db.write.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&after)
		_ = db.write.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size)
		st.FreedBytes = (before - after) * size
		if _, err := db.write.ExecContext(ctx, "PRAGMA optimize"); err != nil {
			return st, fmt.Errorf("optimize: %w", err)
		}
	}
	return st, nil
}

// deleteBatches runs a DELETE whose last-but-one (or last) argument is a
// batch limit until it deletes nothing, one transaction per batch.
func (db *DB) deleteBatches(ctx context.Context, query string, args ...any) (int, error) {
	total := 0
	for {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return total, err
		}
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			tx.Rollback()
			return total, err
		}
		n, _ := res.RowsAffected()
		if n > 0 {
			if err := bumpVersion(ctx, tx); err != nil {
				tx.Rollback()
				return total, err
			}
		}
		if err := db.commit(tx); err != nil {
			return total, err
		}
		total += int(n)
		if n < pruneBatch {
			return total, nil
		}
	}
}

// SetCuration records an editor's decision about item id, which the
// curator's re-classifications never undo. Moving and hiding apply at once.
// Undoing a move (an empty Section where there was one) or a hide puts back
// what the rules decided, and queues the item for the curator to decide
// again under the rules in force.
func (db *DB) SetCuration(ctx context.Context, id int64, c feeds.Curation) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("curate item %d: %w", id, err)
	}
	defer tx.Rollback()
	// On the right of SET, columns hold their values before the update.
	res, err := tx.ExecContext(ctx, `UPDATE items SET override_section = ?1, hidden = ?2, pinned = ?3,
		section = CASE WHEN ?1 <> '' THEN ?1 WHEN override_section <> '' THEN rules_section ELSE section END,
		excluded = CASE WHEN ?2 THEN 1 WHEN hidden THEN (rules_excluded OR dup_of <> 0) ELSE excluded END,
		rules_version = CASE WHEN (hidden AND NOT ?2) OR (override_section <> '' AND ?1 = '') THEN ''
			ELSE rules_version END
		WHERE id = ?4`, c.Section, c.Hidden, c.Pinned, id)
	if err != nil {
		return fmt.Errorf("curate item %d: %w", id, db.writeFailed(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("curate item %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("curate item %d: %w", id, feeds.ErrNotFound)
	}
	if err := bumpVersion(ctx, tx); err != nil {
		return err
	}
	if err := db.commit(tx); err != nil {
		return fmt.Errorf("curate item %d: %w", id, db.writeFailed(err))
	}
	return nil
}

// ItemCuration returns the editor's decision about item id.
func (db *DB) ItemCuration(ctx context.Context, id int64) (feeds.Curation, error) {
	var c feeds.Curation
	err := db.read.QueryRowContext(ctx, `SELECT override_section, hidden, pinned FROM items WHERE id = ?`, id).
		Scan(&c.Section, &c.Hidden, &c.Pinned)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("item %d: %w", id, feeds.ErrNotFound)
	}
	return c, err
}
