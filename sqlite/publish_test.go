package sqlite_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// publishItems stores n items in source src, published an hour apart going
// back from testNow with every third pair sharing a date (so the ID breaks
// ties), and classifies them into sections "a" and "b" alternately, with
// every fifth excluded. It returns the GUIDs of the published ones, newest
// first as the store orders them.
func publishItems(tb testing.TB, db *sqlite.DB, src int64, prefix string, n int) {
	tb.Helper()
	var items []feeds.Item
	for i := 0; i < n; i++ {
		hours := i - i/3
		items = append(items, newItem(fmt.Sprintf("%s%02d", prefix, i), testNow.Add(-time.Duration(hours)*time.Hour)))
	}
	mustSave(tb, db, src, items...)
	ids := mustItemIDs(tb, db)
	var cs []feeds.Classification
	for i, it := range items {
		id, ok := ids[it.Key]
		if !ok {
			continue // classified by an earlier call
		}
		section := "a"
		if i%2 == 1 {
			section = "b"
		}
		cs = append(cs, feeds.Classification{ItemID: id, Section: section, Excluded: i%5 == 4})
	}
	mustSetSections(tb, db, "no such version", cs...)
}

func guidsOf(items []feeds.Item) []string {
	var g []string
	for _, it := range items {
		g = append(g, it.GUID)
	}
	return g
}

func TestPublishedItems_Paging(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")
	publishItems(t, db, src[0].ID, "x", 23)

	for _, section := range []string{"", "a", "b"} {
		all, err := db.RecentItems(ctx, section, 1000)
		if err != nil {
			t.Fatal(err)
		}
		// Walk the pages: together they are RecentItems, in order.
		var walked []feeds.Item
		var cur feeds.Cursor
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("paging does not end")
			}
			page, err := db.PublishedItems(ctx, section, cur, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, it := range page {
				if it.SortTime.IsZero() || it.SortTime.Location() != time.UTC {
					t.Fatalf("%s: sort time %v", it.GUID, it.SortTime)
				}
				if section != "" && it.Section != section {
					t.Errorf("page of %q holds an item of %q", section, it.Section)
				}
			}
			walked = append(walked, page...)
			cur = feeds.CursorOf(&page[len(page)-1])
			// The cursor survives a trip through a URL.
			if back, err := feeds.ParseCursor(cur.String()); err != nil || back != cur {
				t.Fatalf("cursor %q parsed back as %+v, %v", cur, back, err)
			}
		}
		if got, want := guidsOf(walked), guidsOf(all); !slices.Equal(got, want) {
			t.Errorf("section %q: pages give %v, want %v", section, got, want)
		}
	}

	// A page stays put when new items arrive at the head.
	first, err := db.PublishedItems(ctx, "", feeds.Cursor{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	cur := feeds.CursorOf(&first[len(first)-1])
	before, err := db.PublishedItems(ctx, "", cur, 5)
	if err != nil {
		t.Fatal(err)
	}
	src2 := mustSync(t, db, "https://example.com/a", "https://example.com/b")
	mustSave(t, db, src2[1].ID, newItem("fresh", testNow))
	ids := mustItemIDs(t, db)
	mustSetSections(t, db, "no such version", feeds.Classification{ItemID: ids["guid:fresh"], Section: "a"})
	after, err := db.PublishedItems(ctx, "", cur, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(guidsOf(before), guidsOf(after)) {
		t.Errorf("page moved after a new item: %v, then %v", guidsOf(before), guidsOf(after))
	}
	head, err := db.PublishedItems(ctx, "", feeds.Cursor{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(head) != 1 || head[0].GUID != "fresh" {
		t.Errorf("head is %v, want the fresh item", guidsOf(head))
	}

	if got, err := db.PublishedItems(ctx, "", feeds.Cursor{}, 0); err != nil || got != nil {
		t.Errorf("limit 0: %v, %v", got, err)
	}
}

// TestDigestItems checks the digest's choice against a sort of every
// published item of the range in Go: the best scored first, then the
// oldest, then the lowest ID, cut at the limit, within the section and
// the range only, excluded items never.
func TestDigestItems(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")
	var items []feeds.Item
	for i := 0; i < 30; i++ {
		hours := i - i/3 // every third pair shares a date: the ID breaks ties
		items = append(items, newItem(fmt.Sprintf("d%02d", i), testNow.Add(-time.Duration(hours)*time.Hour)))
	}
	mustSave(t, db, src[0].ID, items...)
	ids := mustItemIDs(t, db)
	var cs []feeds.Classification
	for i, it := range items {
		section := []string{"a", "b"}[i%2]
		// Few distinct scores, so that sort time and ID decide ties.
		cs = append(cs, feeds.Classification{ItemID: ids[it.Key], Section: section, Score: float64(i % 3), Excluded: i%7 == 6})
	}
	mustSetSections(t, db, "no such version", cs...)

	from, to := testNow.Add(-15*time.Hour), testNow.Add(-3*time.Hour)
	for _, section := range []string{"a", "b"} {
		all, err := db.RecentItems(ctx, section, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var want []feeds.Item
		for _, it := range all {
			if !it.Published.Before(from) && it.Published.Before(to) {
				want = append(want, it)
			}
		}
		slices.SortFunc(want, func(x, y feeds.Item) int {
			switch {
			case x.Score != y.Score:
				return cmp.Compare(y.Score, x.Score)
			case !x.Published.Equal(y.Published):
				return x.Published.Compare(y.Published)
			}
			return cmp.Compare(x.ID, y.ID)
		})
		for _, limit := range []int{1, 3, len(want), 100} {
			got, err := db.DigestItems(ctx, section, from, to, limit)
			if err != nil {
				t.Fatal(err)
			}
			w := want[:min(limit, len(want))]
			if !slices.Equal(guidsOf(got), guidsOf(w)) || len(want) < 4 {
				t.Errorf("DigestItems(%s, limit %d) = %v, want %v", section, limit, guidsOf(got), guidsOf(w))
			}
			for _, it := range got {
				if it.Excluded || it.Section != section || it.SortTime.IsZero() || it.SourceName == "" || it.Summary == "" {
					t.Errorf("item %s: %+v", it.GUID, it)
				}
			}
		}
	}
	if got, err := db.DigestItems(ctx, "a", to, from, 10); err != nil || len(got) != 0 {
		t.Errorf("empty range: %v, %v", guidsOf(got), err)
	}
	if got, err := db.DigestItems(ctx, "", from, to, 10); err != nil || len(got) != 0 {
		t.Errorf("section \"\" (not classified): %v, %v", guidsOf(got), err)
	}

	// Sections of a range: only those with published items in it.
	for _, tt := range []struct {
		from, to time.Time
		want     []string
	}{
		{from, to, []string{"a", "b"}},
		{testNow.Add(-time.Hour), testNow.Add(time.Minute), []string{"a", "b"}},
		{to, from, nil},
		{testNow.Add(time.Hour), testNow.Add(2 * time.Hour), nil},
	} {
		got, err := db.DigestSections(ctx, tt.from, tt.to)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("DigestSections(%s, %s) = %v, %v; want %v", tt.from, tt.to, got, err, tt.want)
		}
	}
	// A section whose items in the range are all excluded is not listed.
	mustSetSections(t, db, "no such version", feeds.Classification{ItemID: ids["guid:d00"], Section: "c", Excluded: true},
		feeds.Classification{ItemID: ids["guid:d29"], Section: "z"})
	if got, err := db.DigestSections(ctx, testNow.Add(-61*time.Minute), testNow.Add(time.Minute)); err != nil || !slices.Equal(got, []string{"b"}) {
		t.Errorf("DigestSections of the newest hour (d00 excluded into c, d01 in b) = %v, %v; want [b]", got, err)
	}
}
