package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// testNow is the fetch time used by the tests: whole milliseconds, as the
// store keeps them.
var testNow = time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

// newItem returns an item with key "guid:"+id and every text field set.
func newItem(id string, published time.Time) feeds.Item {
	it := feeds.Item{
		Key:        "guid:" + id,
		GUID:       id,
		Link:       "https://example.com/posts/" + id,
		Title:      "Title " + id,
		Summary:    "Summary " + id,
		Content:    "<p>Content " + id + "</p>",
		Author:     "Author " + id,
		Categories: []string{"cat-" + id, "common"},
		Lang:       "en",
		Published:  published,
		Updated:    published,
	}
	it.Hash = feeds.ContentHash(&it)
	return it
}

// edited returns it with a new title and hash.
func edited(it feeds.Item, title string) feeds.Item {
	it.Title = title
	it.Hash = feeds.ContentHash(&it)
	return it
}

// mustSave stores items as a successful fetch of source id at testNow.
func mustSave(tb testing.TB, db *sqlite.DB, id int64, items ...feeds.Item) feeds.SaveStats {
	tb.Helper()
	st := feeds.FetchState{URL: fmt.Sprintf("https://example.com/feed/%d", id), LastFetch: testNow, LastSuccess: testNow, LastStatus: 200}
	stats, err := db.SaveFetch(context.Background(), id, st, items, testNow)
	if err != nil {
		tb.Fatal(err)
	}
	return stats
}

// mustItemIDs returns the IDs of the source's items, keyed by Key, through
// ItemsToClassify with a version no item has.
func mustItemIDs(tb testing.TB, db *sqlite.DB) map[string]int64 {
	tb.Helper()
	items, err := db.ItemsToClassify(context.Background(), "no such version", 0, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make(map[string]int64, len(items))
	for _, it := range items {
		ids[it.Key] = it.ID
	}
	return ids
}

func mustSetSections(tb testing.TB, db *sqlite.DB, version string, cs ...feeds.Classification) int {
	tb.Helper()
	n, err := db.SetSections(context.Background(), version, cs)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func ids(items []feeds.Item) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func TestSaveFetch_Counts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a", "https://example.com/b")
	a, b, c := newItem("a", testNow.Add(-time.Hour)), newItem("b", testNow.Add(-2*time.Hour)), newItem("c", time.Time{})

	v0 := mustVersion(t, db)
	if got, want := mustSave(t, db, src[0].ID, a, b, c), (feeds.SaveStats{New: 3}); got != want {
		t.Errorf("first save: %+v, want %+v", got, want)
	}
	v1 := mustVersion(t, db)
	if v1 <= v0 {
		t.Errorf("new items did not bump the version (%d -> %d)", v0, v1)
	}

	// Saving the same items again writes nothing.
	if got, want := mustSave(t, db, src[0].ID, a, b, c), (feeds.SaveStats{Unchanged: 3}); got != want {
		t.Errorf("second save: %+v, want %+v", got, want)
	}
	if got := mustVersion(t, db); got != v1 {
		t.Errorf("an unchanged save bumped the version (%d -> %d)", v1, got)
	}

	// The same keys under another source are other items.
	if got, want := mustSave(t, db, src[1].ID, a), (feeds.SaveStats{New: 1}); got != want {
		t.Errorf("save to the second source: %+v, want %+v", got, want)
	}

	// Classify b, then edit it: it is updated, keeps its section and
	// needs classifying again.
	byKey := mustItemIDs(t, db)
	mustSetSections(t, db, "v1", feeds.Classification{ItemID: byKey[b.Key], Section: "go"})
	v2 := mustVersion(t, db)
	b2 := edited(b, "Title b, corrected")
	if got, want := mustSave(t, db, src[0].ID, a, b2, c), (feeds.SaveStats{Updated: 1, Unchanged: 2}); got != want {
		t.Errorf("save with an edit: %+v, want %+v", got, want)
	}
	if got := mustVersion(t, db); got <= v2 {
		t.Errorf("an edit did not bump the version (%d -> %d)", v2, got)
	}
	it, err := db.Item(ctx, byKey[b.Key])
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != b2.Title || it.Hash != b2.Hash || it.Section != "go" {
		t.Errorf("edited item: title %q hash %q section %q, want %q %q %q", it.Title, it.Hash, it.Section, b2.Title, b2.Hash, "go")
	}
	if !it.FetchedAt.Equal(testNow) {
		t.Errorf("edit changed FetchedAt to %v", it.FetchedAt)
	}
	todo, err := db.ItemsToClassify(ctx, "v1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids(todo), byKey[b.Key]) {
		t.Errorf("edited item %d is not queued for classification: %v", byKey[b.Key], ids(todo))
	}

	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[src[0].ID] != 3 || counts[src[1].ID] != 1 {
		t.Errorf("SourceItemCounts = %v, want 3 and 1: duplicates stored?", counts)
	}
}

func TestSaveFetch_DuplicateKeysInBatch(t *testing.T) {
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")
	first := newItem("dup", testNow)
	second := edited(first, "another title")
	// The first occurrence wins, every time, so the item never flip-flops.
	for i := range 2 {
		want := feeds.SaveStats{New: 1, Unchanged: 1}
		if i > 0 {
			want = feeds.SaveStats{Unchanged: 2}
		}
		if got := mustSave(t, db, src[0].ID, first, second); got != want {
			t.Errorf("save %d: %+v, want %+v", i, got, want)
		}
	}
	it, err := db.Item(context.Background(), mustItemIDs(t, db)[first.Key])
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != first.Title {
		t.Errorf("stored title %q, want the first occurrence's %q", it.Title, first.Title)
	}
}

func TestSaveFetch_DerivesKeyAndHash(t *testing.T) {
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")
	it := newItem("x", testNow)
	it.Key, it.Hash = "", ""
	mustSave(t, db, src[0].ID, it)
	if got := mustSave(t, db, src[0].ID, newItem("x", testNow)); got != (feeds.SaveStats{Unchanged: 1}) {
		t.Errorf("item saved without key and hash is not the same item: %+v", got)
	}
}

func TestSaveFetch_State(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")
	loc := time.FixedZone("UTC+5", 5*3600)
	st := feeds.FetchState{
		URL:          "https://example.com/moved",
		ETag:         `W/"abc"`,
		LastModified: "Mon, 02 Jan 2026 15:04:05 GMT",
		LastFetch:    testNow.In(loc),
		LastSuccess:  testNow.Add(-time.Hour).In(loc),
		NextCheck:    testNow.Add(30 * time.Minute).In(loc),
		ErrorCount:   3,
		LastError:    "connection refused",
		LastStatus:   503,
		FeedTitle:    "Example",
		FeedLink:     "https://example.com/",
		FeedLang:     "en-GB",
	}
	if _, err := db.SaveFetch(ctx, src[0].ID, st, nil, testNow); err != nil {
		t.Fatal(err)
	}
	got, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := st
	want.LastFetch, want.LastSuccess, want.NextCheck = st.LastFetch.UTC(), st.LastSuccess.UTC(), st.NextCheck.UTC()
	if got[0].State != want {
		t.Errorf("state read back as\n%+v\nwant\n%+v", got[0].State, want)
	}

	// The whole state is written: zero values clear what was there.
	if _, err := db.SaveFetch(ctx, src[0].ID, feeds.FetchState{URL: "https://example.com/a"}, nil, testNow); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Sources(ctx)
	if want := (feeds.FetchState{URL: "https://example.com/a"}); got[0].State != want {
		t.Errorf("state read back as %+v, want %+v", got[0].State, want)
	}
}

func TestSaveFetch_UnknownSource(t *testing.T) {
	db := MustOpenDB(t)
	_, err := db.SaveFetch(context.Background(), 42, feeds.FetchState{URL: "x"}, []feeds.Item{newItem("a", testNow)}, testNow)
	if !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("SaveFetch to an unknown source: %v, want ErrNotFound", err)
	}
}

// TestSaveFetch_Atomic checks that a failure part way through the items
// leaves neither the new fetch state nor any of the items.
func TestSaveFetch_Atomic(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")
	old := feeds.FetchState{URL: "https://example.com/a", ETag: `"old"`}
	if _, err := db.SaveFetch(ctx, src[0].ID, old, nil, testNow); err != nil {
		t.Fatal(err)
	}
	v := mustVersion(t, db)

	raw := openRaw(t, db.Path())
	if _, err := raw.Exec(`CREATE TRIGGER boom BEFORE INSERT ON items WHEN NEW.title = 'boom'
		BEGIN SELECT RAISE(ABORT, 'planted failure'); END`); err != nil {
		t.Fatal(err)
	}
	bad := newItem("bad", testNow)
	bad.Title = "boom"
	_, err := db.SaveFetch(ctx, src[0].ID, feeds.FetchState{URL: "https://example.com/a", ETag: `"new"`},
		[]feeds.Item{newItem("ok", testNow), bad, newItem("ok2", testNow)}, testNow)
	if err == nil {
		t.Fatal("SaveFetch succeeded despite the failing insert")
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.SaveFetch(cancelled, src[0].ID, feeds.FetchState{URL: "https://example.com/a", ETag: `"new"`},
		[]feeds.Item{newItem("ok", testNow)}, testNow); !errors.Is(err, context.Canceled) {
		t.Errorf("SaveFetch with a cancelled context: %v, want context.Canceled", err)
	}

	got, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].State.ETag != old.ETag {
		t.Errorf("ETag is %q after failed saves, want %q", got[0].State.ETag, old.ETag)
	}
	counts, _ := db.SourceItemCounts(ctx)
	if counts[src[0].ID] != 0 {
		t.Errorf("%d items stored by failed saves", counts[src[0].ID])
	}
	if got := mustVersion(t, db); got != v {
		t.Errorf("failed saves changed the version (%d -> %d)", v, got)
	}

	// The store is still usable afterwards.
	if got := mustSave(t, db, src[0].ID, newItem("ok", testNow)); got.New != 1 {
		t.Errorf("save after failures: %+v", got)
	}
}

func TestItemsToClassify(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")
	var items []feeds.Item
	for i := range 5 {
		items = append(items, newItem(fmt.Sprint(i), testNow.Add(time.Duration(-i)*time.Hour)))
	}
	mustSave(t, db, src[0].ID, items...)

	// Page through everything, two at a time.
	var all []int64
	after := int64(0)
	for {
		page, err := db.ItemsToClassify(ctx, "v1", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("page of %d items, limit 2", len(page))
		}
		all = append(all, ids(page)...)
		after = page[len(page)-1].ID
	}
	if len(all) != 5 {
		t.Fatalf("paged IDs %v, want 5", all)
	}
	for i := 1; i < len(all); i++ {
		if all[i] <= all[i-1] {
			t.Fatalf("paged IDs %v, want them increasing", all)
		}
	}

	// Classify 1st, 3rd and 5th under v1: the other two remain for v1,
	// and all five, under two old versions, for v2.
	for _, i := range []int{0, 2, 4} {
		mustSetSections(t, db, "v1", feeds.Classification{ItemID: all[i], Section: "go"})
	}
	got, err := db.ItemsToClassify(ctx, "v1", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{all[1], all[3]}; !slices.Equal(ids(got), want) {
		t.Errorf("to classify for v1: %v, want %v", ids(got), want)
	}
	var pages [][]int64
	after = 0
	for {
		page, err := db.ItemsToClassify(ctx, "v2", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages = append(pages, ids(page))
		after = page[len(page)-1].ID
	}
	if want := [][]int64{all[0:2], all[2:4], all[4:5]}; fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Errorf("pages for v2: %v, want %v", pages, want)
	}

	// Every field is filled.
	st := feeds.FetchState{URL: "https://example.com/feed.xml", FeedTitle: "Example", FeedLink: "https://example.com/"}
	if _, err := db.SaveFetch(ctx, src[0].ID, st, nil, testNow); err != nil {
		t.Fatal(err)
	}
	got, err = db.ItemsToClassify(ctx, "v1", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := items[1]
	want.ID, want.SourceID, want.FetchedAt = all[1], src[0].ID, testNow
	want.SourceName, want.SourceURL, want.SourceTitle, want.SourceLink = "a", st.URL, st.FeedTitle, st.FeedLink
	if len(got) != 1 || fmt.Sprintf("%+v", got[0]) != fmt.Sprintf("%+v", want) {
		t.Errorf("ItemsToClassify returned\n%+v\nwant\n%+v", got, want)
	}

	if _, err := db.ItemsToClassify(ctx, "", 0, 10); err == nil {
		t.Error("ItemsToClassify accepted an empty rules version")
	}
}

func TestSetSections(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")
	mustSave(t, db, src[0].ID, newItem("a", testNow), newItem("b", testNow), newItem("c", testNow))
	byKey := mustItemIDs(t, db)
	a, b, c := byKey["guid:a"], byKey["guid:b"], byKey["guid:c"]

	cs := []feeds.Classification{
		{ItemID: a, Section: "go", Score: 1},
		{ItemID: b, Section: "k8s", Score: 2},
		{ItemID: c, Section: ""}, // matched nothing: not a change
	}
	steps := []struct {
		name     string
		cs       []feeds.Classification
		changed  int
		bumpsVer bool
	}{
		{"first", cs, 2, true},
		{"same again", cs, 0, false},
		{"score only", []feeds.Classification{{ItemID: a, Section: "go", Score: 5}}, 0, false},
		{"excluded", []feeds.Classification{{ItemID: a, Section: "go", Excluded: true}}, 1, true},
		{"moved", []feeds.Classification{{ItemID: b, Section: "go"}}, 1, true},
		{"unknown item", []feeds.Classification{{ItemID: 9999, Section: "go"}}, 0, false},
		{"empty", nil, 0, false},
	}
	for _, s := range steps {
		v := mustVersion(t, db)
		if got := mustSetSections(t, db, "v1", s.cs...); got != s.changed {
			t.Errorf("%s: changed = %d, want %d", s.name, got, s.changed)
		}
		if bumped := mustVersion(t, db) != v; bumped != s.bumpsVer {
			t.Errorf("%s: version bumped = %v, want %v", s.name, bumped, s.bumpsVer)
		}
	}

	itA, err := db.Item(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if itA.Section != "go" || !itA.Excluded || itA.Score != 0 {
		t.Errorf("item a: section %q excluded %v score %v", itA.Section, itA.Excluded, itA.Score)
	}
	if v, err := db.ItemRulesVersion(ctx, a); err != nil || v != "v1" {
		t.Errorf("ItemRulesVersion = %q, %v; want v1", v, err)
	}
	if _, err := db.ItemRulesVersion(ctx, 9999); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("ItemRulesVersion of a missing item: %v, want ErrNotFound", err)
	}
	// Classification leaves the item's text where it was.
	if itA.Summary != "Summary a" || itA.Content != "<p>Content a</p>" {
		t.Errorf("item a's text after classification: %q, %q", itA.Summary, itA.Content)
	}
	if todo, _ := db.ItemsToClassify(ctx, "v1", 0, 10); len(todo) != 0 {
		t.Errorf("items still to classify for v1: %v", ids(todo))
	}
	if _, err := db.SetSections(ctx, "", cs); err == nil {
		t.Error("SetSections accepted an empty rules version")
	}
}

func TestRecentItems(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a", "https://example.com/b")
	var (
		old      = newItem("old", testNow.Add(-3*time.Hour))
		mid      = newItem("mid", testNow.Add(-1*time.Hour))
		future   = newItem("future", testNow.Add(2*time.Hour))      // clamped to testNow
		soon     = newItem("soon", testNow.Add(30*time.Minute))     // within the hour: kept
		undated  = newItem("undated", time.Time{})                  // testNow, after future by ID
		excluded = newItem("excluded", testNow.Add(-2*time.Hour))   // never shown
		unclass  = newItem("unclass", testNow.Add(-30*time.Minute)) // not classified yet
	)
	mustSave(t, db, src[0].ID, old, future, excluded)
	mustSave(t, db, src[1].ID, mid, soon, undated, unclass)

	items, err := db.ItemsToClassify(ctx, "v1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]int64{}
	for _, it := range items {
		id[it.GUID] = it.ID
	}
	mustSetSections(t, db, "v1",
		feeds.Classification{ItemID: id["old"], Section: "go"},
		feeds.Classification{ItemID: id["mid"], Section: "k8s"},
		feeds.Classification{ItemID: id["future"], Section: "go"},
		feeds.Classification{ItemID: id["soon"], Section: "go"},
		feeds.Classification{ItemID: id["undated"], Section: "k8s"},
		feeds.Classification{ItemID: id["excluded"], Section: "go", Excluded: true},
	)

	for _, tt := range []struct {
		section string
		limit   int
		want    []string
	}{
		{"", 100, []string{"soon", "undated", "future", "mid", "old"}},
		{"go", 100, []string{"soon", "future", "old"}},
		{"k8s", 100, []string{"undated", "mid"}},
		{"", 2, []string{"soon", "undated"}},
		{"go", 1, []string{"soon"}},
		{"nope", 100, nil},
		{"", 0, nil},
	} {
		got, err := db.RecentItems(ctx, tt.section, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var guids []string
		for _, it := range got {
			guids = append(guids, it.GUID)
		}
		if !slices.Equal(guids, tt.want) {
			t.Errorf("RecentItems(%q, %d) = %v, want %v", tt.section, tt.limit, guids, tt.want)
		}
	}

	// The clamp affects only the order: the item keeps its date.
	got, err := db.RecentItems(ctx, "go", 2)
	if err != nil {
		t.Fatal(err)
	}
	f := got[1]
	if !f.Published.Equal(future.Published) || f.Published.Location() != time.UTC {
		t.Errorf("future item published %v, want %v in UTC", f.Published, future.Published)
	}
	if f.Section != "go" || f.SourceName != "a" || f.SourceURL == "" || !slices.Equal(f.Categories, future.Categories) || f.Content != future.Content {
		t.Errorf("RecentItems left fields empty: %+v", f)
	}
}

func TestItem(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src, err := db.SyncSources(ctx, []feeds.Source{{Name: "Example", ConfigURL: "https://example.com/a", Tags: []string{"t1", "t2"}}})
	if err != nil {
		t.Fatal(err)
	}
	st := feeds.FetchState{URL: "https://example.com/feed", FeedTitle: "Example Blog", FeedLink: "https://example.com/"}
	in := newItem("x", testNow.Add(-time.Hour))
	in.Updated = time.Time{}
	in.Categories = nil
	in.Hash = feeds.ContentHash(&in)
	if _, err := db.SaveFetch(ctx, src[0].ID, st, []feeds.Item{in}, testNow); err != nil {
		t.Fatal(err)
	}
	id := mustItemIDs(t, db)[in.Key]
	mustSetSections(t, db, "v1", feeds.Classification{ItemID: id, Section: "go", Score: 0.5})

	got, err := db.Item(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.ID, want.SourceID, want.FetchedAt, want.Section, want.Score = id, src[0].ID, testNow, "go", 0.5
	want.SourceName, want.SourceURL, want.SourceTitle, want.SourceLink = "Example", st.URL, st.FeedTitle, st.FeedLink
	want.SourceTags = []string{"t1", "t2"}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("Item(%d) =\n%+v\nwant\n%+v", id, got, want)
	}
	if got.Published.Location() != time.UTC || got.FetchedAt.Location() != time.UTC {
		t.Error("times not in UTC")
	}

	if _, err := db.Item(ctx, id+100); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("Item of a missing ID: %v, want ErrNotFound", err)
	}
}

// TestConcurrentAccess runs the aggregator's, the curator's and the
// publisher's calls at once; none may fail with SQLITE_BUSY or otherwise.
func TestConcurrentAccess(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const writers, rounds, batch = 8, 10, 5
	var urls []string
	for i := range writers {
		urls = append(urls, fmt.Sprintf("https://example.com/%d", i))
	}
	srcs := mustSync(t, db, urls...)

	errc := make(chan error, 1000)
	var wg, readers sync.WaitGroup
	done := make(chan struct{})
	for w, src := range srcs {
		wg.Go(func() {
			for r := range rounds {
				var items []feeds.Item
				for i := range batch {
					items = append(items, newItem(fmt.Sprintf("%d-%d-%d", w, r, i), testNow.Add(-time.Duration(r)*time.Minute)))
				}
				st := feeds.FetchState{URL: src.ConfigURL, ETag: fmt.Sprint(r), LastFetch: testNow}
				if _, err := db.SaveFetch(ctx, src.ID, st, items, testNow); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Go(func() { // the curator
		for {
			select {
			case <-done:
				return
			default:
			}
			items, err := db.ItemsToClassify(ctx, "v1", 0, 50)
			if err != nil {
				errc <- err
				return
			}
			var cs []feeds.Classification
			for _, it := range items {
				cs = append(cs, feeds.Classification{ItemID: it.ID, Section: "s" + fmt.Sprint(it.ID%3)})
			}
			if _, err := db.SetSections(ctx, "v1", cs); err != nil {
				errc <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	wg.Go(func() { // config reloads
		for range rounds {
			if _, err := db.SyncSources(ctx, srcs); err != nil {
				errc <- err
				return
			}
		}
	})
	for range 4 { // the publisher and status pages
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := db.Version(ctx); err != nil {
					errc <- err
					return
				}
				if _, err := db.RecentItems(ctx, "", 20); err != nil {
					errc <- err
					return
				}
				if _, err := db.RecentItems(ctx, "s1", 20); err != nil {
					errc <- err
					return
				}
				if _, err := db.Sources(ctx); err != nil {
					errc <- err
					return
				}
				if _, err := db.SourceItemCounts(ctx); err != nil {
					errc <- err
					return
				}
				time.Sleep(time.Millisecond) // overlap the writers, without starving them of CPU
			}
		})
	}

	// Wait for the aggregator writers (the curator loops until done).
	waitWriters := make(chan struct{})
	go func() {
		for {
			counts, err := db.SourceItemCounts(ctx)
			if err != nil {
				errc <- err
				break
			}
			total := 0
			for _, n := range counts {
				total += n
			}
			if total == writers*rounds*batch {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		close(waitWriters)
	}()
	select {
	case <-waitWriters:
	case err := <-errc:
		t.Error(err)
	}
	close(done)
	wg.Wait()
	readers.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}

	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if counts[s.ID] != rounds*batch {
			t.Errorf("source %d has %d items, want %d", s.ID, counts[s.ID], rounds*batch)
		}
	}
}

func BenchmarkSaveFetch(b *testing.B) {
	const batch = 20
	ctx := context.Background()
	db := MustOpenDB(b)
	src := mustSync(b, db, "https://example.com/a")
	st := feeds.FetchState{URL: "https://example.com/a", ETag: `"x"`}
	items := make([]feeds.Item, batch)
	n := 0
	for b.Loop() {
		for i := range items {
			items[i] = newItem(fmt.Sprint(n), testNow)
			n++
		}
		if _, err := db.SaveFetch(ctx, src[0].ID, st, items, testNow); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkSaveFetchParallel saves 20-item fetches of many sources from
// many goroutines at once, as the poller does, so that the writer commits
// them in batches. Each item carries about 1.2 KB of text, as a typical
// feed's items do.
func BenchmarkSaveFetchParallel(b *testing.B) {
	const batch, sources = 20, 256
	body := strings.Repeat("Containers and serverless platforms, ", 20) + strings.Repeat("云原生技术落地实践，", 15)
	ctx := context.Background()
	db := MustOpenDB(b)
	urls := make([]string, sources)
	for i := range urls {
		urls[i] = fmt.Sprintf("https://example.com/%d", i)
	}
	srcs := mustSync(b, db, urls...)
	var next atomic.Int64
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		items := make([]feeds.Item, batch)
		for pb.Next() {
			n := next.Add(1)
			src := srcs[n%sources]
			for i := range items {
				items[i] = newItem(fmt.Sprintf("%d-%d", n, i), testNow)
				items[i].Content = "<p>" + body + items[i].GUID + "</p>"
				items[i].Hash = feeds.ContentHash(&items[i])
			}
			st := feeds.FetchState{URL: src.ConfigURL, ETag: fmt.Sprint(n)}
			if _, err := db.SaveFetch(ctx, src.ID, st, items, testNow); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load()*batch)/b.Elapsed().Seconds(), "items/s")
}
