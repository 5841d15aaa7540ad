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
	} {
		plan := queryPlan(t, db, q.query, q.args...)
		text := strings.Join(plan, "\n")
		t.Logf("%s:\n%s", q.name, text)
		if !strings.Contains(text, q.index) || strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "SCAN i\n") || strings.HasSuffix(text, "SCAN i") {
			t.Errorf("%s: plan does not walk %s in order:\n%s", q.name, q.index, text)
		}
	}
}

// TestDigestQueryPlans checks that the digest's choice of a section's
// items reads only the covering index items_digest (the sort of the
// week's rows is bounded by LIMIT), that the items table is then read by
// id for the rows chosen only, and that listing the sections of a week
// seeks the index instead of scanning the items.
func TestDigestQueryPlans(t *testing.T) {
	db := openTestDB(t)
	ms := time.Now().UnixMilli()

	plan := strings.Join(queryPlan(t, db, publishedQuery+digestItemsWhere+`
		ORDER BY i.score DESC, i.sort_time, i.id`, "a", ms-1000, ms, 10), "\n")
	t.Logf("digest items:\n%s", plan)
	if !strings.Contains(plan, "USING COVERING INDEX items_digest (section=? AND sort_time>? AND sort_time<?)") ||
		!strings.Contains(plan, "SEARCH i USING INTEGER PRIMARY KEY (rowid=?)") || strings.Contains(plan, "SCAN") {
		t.Errorf("digest items: the plan does not choose on items_digest and read the chosen rows by id:\n%s", plan)
	}

	plan = strings.Join(queryPlan(t, db, digestSectionsQuery, ms-1000, ms), "\n")
	t.Logf("digest sections:\n%s", plan)
	if strings.Contains(plan, "SCAN items") || !strings.Contains(plan, "items_digest") {
		t.Errorf("digest sections: the plan scans items:\n%s", plan)
	}
}
