package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

func TestNearDuplicatesPublishedOnce(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	srcs := syncOne(t, db, 3)
	a := newItem("a", testNow.Add(-time.Hour))
	b := newItem("b", testNow.Add(-30*time.Minute)) // same story as a, another source
	c := newItem("c", testNow.Add(-20*time.Minute)) // same title as a, another source
	d := newItem("d", testNow.Add(-10*time.Minute)) // same title as a, same source: not a duplicate
	old := newItem("old", testNow.Add(-60*24*time.Hour))
	mustSave(t, db, srcs[0], a, d)
	mustSave(t, db, srcs[1], b, old)
	mustSave(t, db, srcs[2], c)
	ids := mustItemIDs(t, db)

	classify := func(version string) {
		keyOf := map[string][2]string{
			"guid:a": {"//example.com/story", "dockerreleasesbuiltinorchestration"},
			"guid:b": {"//example.com/story", "somethingelsealtogether"},
			"guid:c": {"//example.com/c", "dockerreleasesbuiltinorchestration"},
			"guid:d": {"//example.com/d", "dockerreleasesbuiltinorchestration"},
			// Same title two months earlier: another story.
			"guid:old": {"//example.com/old", "dockerreleasesbuiltinorchestration"},
		}
		var cs []feeds.Classification
		for _, k := range []string{"guid:old", "guid:a", "guid:d", "guid:b", "guid:c"} {
			cs = append(cs, feeds.Classification{ItemID: ids[k], Section: "paas", CanonicalURL: keyOf[k][0], TitleKey: keyOf[k][1]})
		}
		// SetSections expects id order, as the curator sends it.
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				if cs[j].ItemID < cs[i].ItemID {
					cs[i], cs[j] = cs[j], cs[i]
				}
			}
		}
		mustSetSections(t, db, version, cs...)
	}
	classify("v1")

	items, err := db.PublishedItems(ctx, "", feeds.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	published := map[int64]feeds.Item{}
	for _, it := range items {
		published[it.ID] = it
	}
	if len(items) != 3 {
		t.Fatalf("published %d items, want 3 (a with b and c folded in, d, old)", len(items))
	}
	for _, k := range []string{"guid:a", "guid:d", "guid:old"} {
		if _, ok := published[ids[k]]; !ok {
			t.Errorf("%s not published", k)
		}
	}
	also := published[ids["guid:a"]].AlsoIn
	if len(also) != 2 || also[0].Source != "s1" || also[1].Source != "s2" || also[0].Link != b.Link {
		t.Errorf("a's other sources: %+v", also)
	}
	if of, err := db.DuplicateOf(ctx, ids["guid:b"]); err != nil || of != ids["guid:a"] {
		t.Errorf("b duplicates %d (%v), want a", of, err)
	}

	// Re-classification under new rules keeps the same decision.
	classify("v2")
	items, _ = db.PublishedItems(ctx, "", feeds.Cursor{}, 10)
	if len(items) != 3 {
		t.Errorf("after re-classification %d published", len(items))
	}
}
