package sqlite_test

import (
	"context"
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// TestNeedsReview: a close call is stored and listed for the editor; once
// the editor decides the item, or the rules decide it clearly, it is not.
func TestNeedsReview(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	out, err := db.SyncSources(ctx, []feeds.Source{{Name: "a", ConfigURL: "https://a.example/feed"}})
	if err != nil {
		t.Fatal(err)
	}
	items := []feeds.Item{newItem("x", testNow), newItem("y", testNow), newItem("z", testNow)}
	if _, err := db.SaveFetch(ctx, out[0].ID, feeds.FetchState{URL: "https://a.example/feed"}, items, testNow); err != nil {
		t.Fatal(err)
	}
	stored, err := db.ItemsToClassify(ctx, "v1", 0, 10)
	if err != nil || len(stored) != 3 {
		t.Fatalf("stored: %d, %v", len(stored), err)
	}
	var cs []feeds.Classification
	for i, it := range stored {
		cs = append(cs, feeds.Classification{ItemID: it.ID, Section: "paas", Score: 2, Review: i < 2})
	}
	mustSetSections(t, db, "v1", cs...)
	review := func() []int64 {
		got, err := db.ListItems(ctx, sqlite.ItemFilter{Review: true})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, it := range got {
			ids = append(ids, it.ID)
		}
		return ids
	}
	if got := review(); len(got) != 2 {
		t.Fatalf("needing review: %v, want the two close calls", got)
	}
	// The editor moves one: decided, no longer a question.
	if err := db.SetCuration(ctx, stored[0].ID, feeds.Curation{Section: "industry"}); err != nil {
		t.Fatal(err)
	}
	mustSetSections(t, db, "v2", cs...)
	if got := review(); len(got) != 1 || got[0] != stored[1].ID {
		t.Errorf("after the editor's move: %v, want only item %d", got, stored[1].ID)
	}
	// New rules decide the other clearly.
	cs[1].Review = false
	mustSetSections(t, db, "v3", cs...)
	if got := review(); len(got) != 0 {
		t.Errorf("after a clear decision: %v, want none", got)
	}
}
