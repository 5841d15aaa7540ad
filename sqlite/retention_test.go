package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

func syncOne(tb testing.TB, db *sqlite.DB, n int) []int64 {
	tb.Helper()
	var srcs []feeds.Source
	for i := 0; i < n; i++ {
		srcs = append(srcs, feeds.Source{Name: fmt.Sprintf("s%d", i), ConfigURL: fmt.Sprintf("https://example.com/feed/%d", i)})
	}
	out, err := db.SyncSources(context.Background(), srcs)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]int64, n)
	for i, s := range out {
		ids[i] = s.ID
	}
	return ids
}

func TestPruneByAgeKeepsPinned(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := syncOne(t, db, 1)[0]
	var items []feeds.Item
	for d := 0; d < 10; d++ {
		items = append(items, newItem(fmt.Sprint(d), testNow.AddDate(0, 0, -d*10)))
	}
	mustSave(t, db, src, items...)
	ids := mustItemIDs(t, db)
	if err := db.SetCuration(ctx, ids["guid:9"], feeds.Curation{Pinned: true}); err != nil {
		t.Fatal(err)
	}
	db.SetMaxAge(35 * 24 * time.Hour)
	st, err := db.Prune(ctx, testNow, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Items 0..3 are within 35 days; 4..8 go; 9 is pinned.
	if st.ByAge != 5 {
		t.Errorf("pruned %d by age, want 5", st.ByAge)
	}
	left := mustItemIDs(t, db)
	for _, k := range []string{"guid:0", "guid:3", "guid:9"} {
		if _, ok := left[k]; !ok {
			t.Errorf("%s was pruned", k)
		}
	}
	if len(left) != 5 {
		t.Errorf("%d items left, want 5", len(left))
	}
	// The next fetch of the same feed does not bring the pruned ones back.
	stats := mustSave(t, db, src, items...)
	if stats.New != 0 || len(mustItemIDs(t, db)) != 5 {
		t.Errorf("refetch stored %d new items, %d now", stats.New, len(mustItemIDs(t, db)))
	}
}

func TestPruneCapPerSource(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	srcs := syncOne(t, db, 2)
	for s, n := range []int{12, 3} {
		var items []feeds.Item
		for i := 0; i < n; i++ {
			items = append(items, newItem(fmt.Sprintf("%d-%d", s, i), testNow.Add(-time.Duration(i)*time.Hour)))
		}
		mustSave(t, db, srcs[s], items...)
	}
	st, err := db.Prune(ctx, testNow, 5)
	if err != nil {
		t.Fatal(err)
	}
	if st.OverCap != 7 {
		t.Errorf("pruned %d over the cap, want 7", st.OverCap)
	}
	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[srcs[0]] != 5 || counts[srcs[1]] != 3 {
		t.Errorf("counts %v", counts)
	}
	left := mustItemIDs(t, db)
	if _, ok := left["guid:0-0"]; !ok {
		t.Error("the newest item was pruned")
	}
}

func TestCurationSurvivesReclassification(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := syncOne(t, db, 1)[0]
	mustSave(t, db, src, newItem("a", testNow), newItem("b", testNow))
	ids := mustItemIDs(t, db)
	a, b := ids["guid:a"], ids["guid:b"]
	mustSetSections(t, db, "v1", feeds.Classification{ItemID: a, Section: "misc"}, feeds.Classification{ItemID: b, Section: "misc"})

	if err := db.SetCuration(ctx, a, feeds.Curation{Section: "paas"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCuration(ctx, b, feeds.Curation{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	// The rules change and say misc again: the editor's decisions stay.
	mustSetSections(t, db, "v2", feeds.Classification{ItemID: a, Section: "misc"}, feeds.Classification{ItemID: b, Section: "misc"})
	items, err := db.RecentItems(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != a || items[0].Section != "paas" {
		t.Fatalf("published %+v, want only item a in paas", items)
	}
	c, err := db.ItemCuration(ctx, b)
	if err != nil || !c.Hidden {
		t.Errorf("curation of b: %+v %v", c, err)
	}
	// Un-hiding hands b back to the rules.
	if err := db.SetCuration(ctx, b, feeds.Curation{}); err != nil {
		t.Fatal(err)
	}
	pending, _ := db.ItemsToClassify(ctx, "v2", 0, 10)
	if len(pending) != 1 || pending[0].ID != b {
		t.Errorf("after un-hiding, pending %+v", pending)
	}
	if err := db.SetCuration(ctx, 999, feeds.Curation{Pinned: true}); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("unknown item: %v", err)
	}
}

// TestDatabaseSizeBoundedOverAYear simulates a year of daily polls of 20
// sources, each bringing 4 new items a day among the 20 it lists, with a
// 30-day retention pruned daily. The file must stop growing once the
// retention window is full. With -short it simulates 120 days: the window
// fills, and is replaced three times over.
//
// The work the store does is the daemon's; what the test itself repeated
// is done once: each item is built (and hashed) once, not on every day that
// its feed lists it, and each day's fetches are saved concurrently, as the
// poller's workers save them, so that the store's writer commits them
// together instead of one commit per source.
func TestDatabaseSizeBoundedOverAYear(t *testing.T) {
	days := 365
	if testing.Short() {
		days = 120
	}
	ctx := context.Background()
	db := MustOpenDB(t)
	const nSources, perFeed, newPerDay = 20, 20, 4
	srcs := syncOne(t, db, nSources)
	db.SetMaxAge(30 * 24 * time.Hour)
	start := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	size := func() int64 {
		fi, err := os.Stat(db.Path())
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// built[s][n] is item n of source s, made on the day it first appears.
	built := make([][]feeds.Item, nSources)
	listed := func(s, day int, now time.Time) []feeds.Item {
		newest := day*newPerDay + newPerDay - 1
		for n := len(built[s]); n <= newest; n++ {
			it := newItem(fmt.Sprintf("%d-%d", s, n), now.Add(-time.Duration(newest-n)*6*time.Hour))
			it.Content = fmt.Sprintf("<p>%0400d</p>", n) // some bulk
			it.Hash = feeds.ContentHash(&it)
			built[s] = append(built[s], it)
		}
		items := make([]feeds.Item, 0, perFeed)
		for n := newest; n >= 0 && n > newest-perFeed; n-- { // newest first
			items = append(items, built[s][n])
		}
		return items
	}
	var atDay60 int64
	for day := 0; day < days; day++ {
		now := start.AddDate(0, 0, day)
		errs := make([]error, nSources)
		var wg sync.WaitGroup
		for s, id := range srcs {
			items := listed(s, day, now)
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := feeds.FetchState{URL: fmt.Sprintf("https://example.com/feed/%d", s), LastSuccess: now}
				_, errs[s] = db.SaveFetch(ctx, id, st, items, now)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		if _, err := db.Prune(ctx, now, 0); err != nil {
			t.Fatal(err)
		}
		if day == 60 {
			atDay60 = size()
		}
	}
	end := size()
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("items kept %d; database %d KiB at day 60, %d KiB at day %d", st.Items, atDay60>>10, end>>10, days)
	if st.Items > nSources*(31*newPerDay+perFeed) {
		t.Errorf("%d items kept, retention should bound them", st.Items)
	}
	if end > atDay60*3/2 {
		t.Errorf("database grew from %d to %d bytes between day 60 and day %d", atDay60, end, days)
	}
}

// TestResetAfterMoveReturnsToRules: undoing an editor's move hands the item
// back to the rules at once, and the curator's next pass decides it again
// under the rules in force.
func TestResetAfterMoveReturnsToRules(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := syncOne(t, db, 1)[0]
	it := newItem("a", testNow)
	it.Title = "浅谈Docker安全：技术、生态和最新的安全特性"
	it.Hash = feeds.ContentHash(&it)
	mustSave(t, db, src, it)
	id := mustItemIDs(t, db)["guid:a"]

	rs, err := curator.Compile([]curator.SectionSpec{
		{ID: "containers", Title: "云计算及容器技术", Rules: []curator.RuleSpec{{Keywords: []string{"docker", "容器"}}}},
		{ID: "misc", Title: "大杂烩"},
	}, curator.Options{Fallback: "misc"})
	if err != nil {
		t.Fatal(err)
	}
	cur := curator.New(db, rs, 0, zerolog.Nop())
	section := func(when string, want string) {
		t.Helper()
		got, err := db.Item(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Section != want {
			t.Errorf("%s: item in section %q, want %q", when, got.Section, want)
		}
	}
	if n, _, err := cur.ClassifyPending(ctx); err != nil || n != 1 {
		t.Fatalf("first pass classified %d (%v), want 1", n, err)
	}
	section("classified", "containers")

	if err := db.SetCuration(ctx, id, feeds.Curation{Section: "misc"}); err != nil {
		t.Fatal(err)
	}
	section("moved", "misc")
	if n, _, err := cur.ClassifyPending(ctx); err != nil || n != 0 {
		t.Errorf("after the move the curator classified %d (%v), want 0", n, err)
	}
	section("moved, after a pass", "misc")

	if err := db.SetCuration(ctx, id, feeds.Curation{}); err != nil {
		t.Fatal(err)
	}
	section("reset", "containers")
	if c, err := db.ItemCuration(ctx, id); err != nil || c != (feeds.Curation{}) {
		t.Errorf("curation after reset: %+v %v", c, err)
	}
	if n, _, err := cur.ClassifyPending(ctx); err != nil || n != 1 {
		t.Errorf("after the reset the curator classified %d (%v), want the item again", n, err)
	}
	section("reset, after a pass", "containers")
	if v, err := db.ItemRulesVersion(ctx, id); err != nil || v != rs.Version() {
		t.Errorf("rules version after the pass %q (%v), want %q", v, err, rs.Version())
	}
	published, err := db.RecentItems(ctx, "containers", 10)
	if err != nil || len(published) != 1 || published[0].ID != id {
		t.Errorf("containers publishes %+v (%v), want the item", ids(published), err)
	}
}
