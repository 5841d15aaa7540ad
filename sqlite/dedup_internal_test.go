package sqlite

import (
	"strings"
	"testing"
)

// TestFoldQueryPlan checks that folding a group of near-duplicates into
// another item finds the group's rows by index: it runs for every new copy
// of a story, and must not read the whole table each time.
func TestFoldQueryPlan(t *testing.T) {
	db := openTestDB(t)
	plan := queryPlan(t, db, foldQuery, 1, 2, 2, 1)
	text := strings.Join(plan, "\n")
	for _, line := range plan {
		if strings.HasPrefix(line, "SCAN items") {
			t.Errorf("folding scans items:\n%s", text)
		}
	}
	if !strings.Contains(text, "items_dup_of") {
		t.Errorf("folding does not use items_dup_of:\n%s", text)
	}
}
