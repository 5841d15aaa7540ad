package sqlite

import (
	"strings"
	"testing"
)

// TestPruneQueryPlan checks that pruning by age walks an index of sort
// times: retention runs every hour, and must not read the whole table to
// find the few items that aged out since.
func TestPruneQueryPlan(t *testing.T) {
	db := openTestDB(t)
	plan := queryPlan(t, db, pruneByAgeQuery, 0, pruneBatch)
	text := strings.Join(plan, "\n")
	for _, line := range plan {
		if strings.HasPrefix(line, "SCAN items") {
			t.Errorf("pruning by age scans items:\n%s", text)
		}
	}
	if !strings.Contains(text, "items_prune") {
		t.Errorf("pruning by age does not use items_prune:\n%s", text)
	}
}
