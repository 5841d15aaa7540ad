package sqlite

import (
	"strings"
	"testing"
	"time"
)

// TestPublishedQueryPlans checks that the publisher's queries walk the
// partial indexes in order: no full scan of items and no sorting, however
// long the history grows.
func TestPublishedQueryPlans(t *testing.T) {
	db := openTestDB(t)

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
		plan := queryPlan(t, db, q.query, q.args...)
		text := strings.Join(plan, "\n")
		t.Logf("%s:\n%s", q.name, text)
		if !strings.Contains(text, q.index) || strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "SCAN i\n") || strings.HasSuffix(text, "SCAN i") {
			t.Errorf("%s: plan does not walk %s in order:\n%s", q.name, q.index, text)
		}
	}
}
