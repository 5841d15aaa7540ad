package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPublishedQueryPlans checks that the publisher's queries walk the
// partial indexes in order: no full scan of items and no sorting, however
// long the history grows.
func TestPublishedQueryPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	ms := time.Now().UnixMilli()
	for _, q := range []struct {
		name  string
		query string
		args  []any
		index string
	}{
		{"all, head", publishedQuery + `WHERE i.section <> '' AND i.excluded = 0
			ORDER BY i.sort_time DESC, i.id DESC LIMIT ?`, []any{10}, "items_recent"},
		{"all, page", publishedQuery + `WHERE i.section <> '' AND i.excluded = 0 AND (i.sort_time, i.id) < (?, ?)
			ORDER BY i.sort_time DESC, i.id DESC LIMIT ?`, []any{ms, 5, 10}, "items_recent"},
		{"section, page", publishedQuery + `WHERE i.section = ? AND i.excluded = 0 AND (i.sort_time, i.id) < (?, ?)
			ORDER BY i.sort_time DESC, i.id DESC LIMIT ?`, []any{"a", ms, 5, 10}, "items_section_recent"},
		{"between", publishedQuery + `WHERE i.section <> '' AND i.excluded = 0 AND i.sort_time >= ? AND i.sort_time < ?
			ORDER BY i.sort_time, i.id`, []any{ms - 1000, ms}, "items_recent"},
	} {
		rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q.query, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		t.Logf("%s:\n%s", q.name, text)
		if !strings.Contains(text, q.index) || strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "SCAN i\n") || strings.HasSuffix(text, "SCAN i") {
			t.Errorf("%s: plan does not walk %s in order:\n%s", q.name, q.index, text)
		}
	}
}
