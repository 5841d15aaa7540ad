package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// TestLabelsMigrationBackfill: a database with editors' decisions from
// before labels were kept gets them as labels when it is migrated.
func TestLabelsMigrationBackfill(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srcs := testSources(t, db, 1)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	items := []feeds.Item{{Key: "a", Title: "Moved", Summary: "s", Published: now}, {Key: "b", Title: "Hidden", Published: now}}
	if _, err := db.SaveFetch(ctx, srcs[0].ID, feeds.FetchState{URL: srcs[0].ConfigURL}, items, now); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM items ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if err := db.SetCuration(ctx, ids[0], feeds.Curation{Section: "paas"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCuration(ctx, ids[1], feeds.Curation{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before the labels migration, decisions kept; then
	// the migration again, whatever its number.
	if _, err := db.write.ExecContext(ctx, `DROP TRIGGER labels_curation; DROP TRIGGER labels_archive_curation;
		DROP TABLE labels; ALTER TABLE sources DROP COLUMN archive`); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied := false
	for _, m := range ms {
		if strings.HasSuffix(m.name, "_labels.sql") {
			if _, err := db.write.ExecContext(ctx, m.sql); err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
			applied = true
		}
	}
	if !applied {
		t.Fatal("no labels migration")
	}
	ex, err := db.Examples(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ex {
		got = append(got, e.Title+":"+e.Origin+":"+e.Section+":"+e.Summary)
	}
	if strings.Join(got, " ") != "Moved:moved:paas:s Hidden:hidden::" {
		t.Errorf("labels after the migration: %v", got)
	}
}

// TestFeaturedQueryPlan: looking up an article by canonical URL or title
// key is an index probe, whatever the store holds.
func TestFeaturedQueryPlan(t *testing.T) {
	db := openTestDB(t)
	for _, q := range []struct {
		query string
		args  []any
		index string
	}{
		{featuredByURL, []any{"x", 1}, "items_canonical_url"},
		{featuredByTitle, []any{"x", 1, 0}, "items_title_key"},
	} {
		plan := strings.Join(queryPlan(t, db, q.query, q.args...), "\n")
		if !strings.Contains(plan, q.index) {
			t.Errorf("plan does not use %s:\n%s", q.index, plan)
		}
	}
}
