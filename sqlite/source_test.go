package sqlite_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

func TestSyncSources(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)

	in := []feeds.Source{
		{Name: "zeta", ConfigURL: "https://z.example/feed", Tags: []string{"go", "news"}, Interval: 15 * time.Minute},
		{Name: "alpha", ConfigURL: "https://a.example/feed"},
	}
	out, err := db.SyncSources(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].ConfigURL != in[0].ConfigURL || out[1].ConfigURL != in[1].ConfigURL {
		t.Fatalf("SyncSources returned %+v, want the input order", out)
	}
	if in[0].ID != 0 {
		t.Error("SyncSources modified its argument")
	}
	for _, s := range out {
		if s.ID == 0 {
			t.Errorf("source %s has no ID", s.ConfigURL)
		}
		want := feeds.FetchState{URL: s.ConfigURL}
		if s.State != want {
			t.Errorf("new source %s has state %+v, want %+v", s.ConfigURL, s.State, want)
		}
	}
	if out[0].ID == out[1].ID {
		t.Error("two sources share an ID")
	}

	got, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "alpha" || got[1].Name != "zeta" {
		t.Fatalf("Sources = %+v, want alpha then zeta", got)
	}
	if z := got[1]; z.ID != out[0].ID || !slices.Equal(z.Tags, []string{"go", "news"}) || z.Interval != 15*time.Minute {
		t.Errorf("Sources returned %+v, want %+v", z, out[0])
	}
	if got[0].Tags != nil {
		t.Errorf("untagged source has tags %#v, want nil", got[0].Tags)
	}

	// Fetch state survives a resync that changes the configuration.
	st := feeds.FetchState{URL: "https://z.example/moved", ETag: `"e1"`, NextCheck: testNow.Add(time.Hour)}
	if _, err := db.SaveFetch(ctx, out[0].ID, st, []feeds.Item{newItem("1", testNow)}, testNow); err != nil {
		t.Fatal(err)
	}
	v := mustVersion(t, db)
	in[0].Name, in[0].Tags, in[0].Interval = "zeta2", []string{"go"}, time.Hour
	out2, err := db.SyncSources(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if out2[0].ID != out[0].ID || out2[0].State != st || out2[0].Name != "zeta2" {
		t.Errorf("after resync got %+v, want same ID and state %+v", out2[0], st)
	}
	if got := mustVersion(t, db); got <= v {
		t.Errorf("renaming a source did not bump the version (%d -> %d)", v, got)
	}
	got, _ = db.Sources(ctx)
	if z := got[1]; z.Name != "zeta2" || !slices.Equal(z.Tags, []string{"go"}) || z.Interval != time.Hour || z.State != st {
		t.Errorf("after resync Sources has %+v", z)
	}

	// A resync without changes writes nothing visible.
	v = mustVersion(t, db)
	if _, err := db.SyncSources(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got := mustVersion(t, db); got != v {
		t.Errorf("an unchanged resync bumped the version (%d -> %d)", v, got)
	}

	// Removing zeta deactivates it and keeps its items.
	if _, err := db.SyncSources(ctx, in[1:]); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Sources(ctx)
	if len(got) != 1 || got[0].Name != "alpha" {
		t.Errorf("after removal Sources = %+v, want alpha only", got)
	}
	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[out[0].ID] != 1 {
		t.Errorf("removed source has %d items, want 1 kept", counts[out[0].ID])
	}

	// Adding it back reactivates the same row, state and items.
	out3, err := db.SyncSources(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if out3[0].ID != out[0].ID || out3[0].State != st {
		t.Errorf("reactivated source %+v, want ID %d and state %+v", out3[0], out[0].ID, st)
	}
	got, _ = db.Sources(ctx)
	if len(got) != 2 {
		t.Errorf("after reactivation Sources = %+v", got)
	}

	// An empty configuration deactivates everything.
	if _, err := db.SyncSources(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Sources(ctx); len(got) != 0 {
		t.Errorf("Sources after an empty sync = %+v", got)
	}
}

func TestSyncSources_Invalid(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	mustSync(t, db, "https://example.com/a")
	for name, in := range map[string][]feeds.Source{
		"duplicate": {{Name: "a", ConfigURL: "https://example.com/b"}, {Name: "b", ConfigURL: "https://example.com/b"}},
		"no url":    {{Name: "a"}},
	} {
		if _, err := db.SyncSources(ctx, in); err == nil {
			t.Errorf("%s: SyncSources succeeded", name)
		}
	}
	// Nothing was changed by the failed calls.
	if got, _ := db.Sources(ctx); len(got) != 1 || got[0].ConfigURL != "https://example.com/a" {
		t.Errorf("Sources = %+v after failed syncs", got)
	}
}

func TestSourceItemCounts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a", "https://example.com/b")
	mustSave(t, db, src[0].ID, newItem("1", testNow), newItem("2", testNow))
	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{src[0].ID: 2, src[1].ID: 0}
	if len(counts) != len(want) || counts[src[0].ID] != 2 || counts[src[1].ID] != 0 {
		t.Errorf("SourceItemCounts = %v, want %v", counts, want)
	}
}

func TestSources_Cancelled(t *testing.T) {
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Sources(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sources with a cancelled context: %v", err)
	}
}

// TestSyncSourcesURLChange: a source whose URL changes (edited in the
// configuration, or the demo's sample feeds on a new port) is the same
// source: it keeps its ID and items, is fetched fresh from the new URL, and
// the items fetched again from there are the stored ones, not copies that
// would be near-duplicates of themselves.
func TestSyncSourcesURLChange(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const oldURL, newURL = "http://127.0.0.1:41001/docker-cn.xml", "http://127.0.0.1:41002/docker-cn.xml"
	in := []feeds.Source{
		{Name: "容器技术周报 (demo)", ConfigURL: oldURL, Tags: []string{"zh"}},
		{Name: "other", ConfigURL: "https://other.example/feed"},
	}
	out, err := db.SyncSources(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	id := out[0].ID
	items := []feeds.Item{newItem("a", testNow.Add(-time.Hour)), newItem("b", testNow)}
	st := feeds.FetchState{URL: oldURL, ETag: `"old"`, LastModified: "Mon, 02 Mar 2026 00:00:00 GMT",
		LastFetch: testNow, LastSuccess: testNow, NextCheck: testNow.Add(time.Hour), ErrorCount: 2, LastError: "boom", LastStatus: 500, Gone: true}
	if _, err := db.SaveFetch(ctx, id, st, items, testNow); err != nil {
		t.Fatal(err)
	}
	mustClassifyAll(t, db, "v1")

	in[0].ConfigURL = newURL
	out, err = db.SyncSources(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].ID != id {
		t.Fatalf("after the URL change the source has ID %d, want %d (the same source)", out[0].ID, id)
	}
	want := feeds.FetchState{URL: newURL, LastFetch: testNow, LastSuccess: testNow}
	if out[0].State != want {
		t.Errorf("state after the URL change:\n got %+v\nwant %+v (the old URL's ETag, errors and schedule dropped)", out[0].State, want)
	}
	got, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Sources = %+v, want the two configured ones", got)
	}
	for _, s := range got {
		if s.ID == id && (s.ConfigURL != newURL || s.State != want) {
			t.Errorf("Sources has %+v, want config URL %s and state %+v", s, newURL, want)
		}
	}
	changes, err := db.SourceURLChanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := changes[id]; !ok || c.PreviousURL != oldURL || c.ChangedAt.IsZero() || len(changes) != 1 {
		t.Errorf("SourceURLChanges = %+v, want source %d changed from %s", changes, id, oldURL)
	}

	// A fetch of the old URL that was under way does not put it back.
	stale := st
	stale.URL = oldURL
	if _, err := db.SaveFetch(ctx, id, stale, nil, testNow); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Sources(ctx)
	for _, s := range got {
		if s.ID == id && s.State != want {
			t.Errorf("after a late fetch of the old URL the source has\n %+v\nwant %+v", s.State, want)
		}
	}

	// The same items fetched from the new URL are the stored ones.
	st.URL = newURL
	stats, err := db.SaveFetch(ctx, id, st, items, testNow.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if stats.New != 0 || stats.Unchanged != 2 {
		t.Errorf("fetching the moved source again: %+v, want 2 unchanged", stats)
	}
	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[id] != 2 {
		t.Errorf("items per source %v, want 2 for source %d and no other source", counts, id)
	}
	published, err := db.PublishedItems(ctx, "", feeds.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(published) != 2 {
		t.Errorf("published %d items, want 2", len(published))
	}
	for _, it := range published {
		if len(it.AlsoIn) != 0 {
			t.Errorf("item %s is also in %+v", it.Key, it.AlsoIn)
		}
	}

	// An unchanged resync says nothing new; a second change keeps the last.
	if _, err := db.SyncSources(ctx, in); err != nil {
		t.Fatal(err)
	}
	in[0].ConfigURL = "https://docker-cn.example/feed"
	if out, err = db.SyncSources(ctx, in); err != nil || out[0].ID != id {
		t.Fatalf("second URL change: %+v %v", out, err)
	}
	changes, _ = db.SourceURLChanges(ctx)
	if changes[id].PreviousURL != newURL {
		t.Errorf("after a second change SourceURLChanges = %+v, want previous %s", changes, newURL)
	}

	// A new source that takes a name still configured elsewhere is new.
	in = append(in, feeds.Source{Name: "other", ConfigURL: "https://other2.example/feed"})
	if out, err = db.SyncSources(ctx, in); err != nil {
		t.Fatal(err)
	}
	if out[2].ID == out[1].ID {
		t.Errorf("a second source named %q took the first one's row", "other")
	}
}

// mustClassifyAll classifies every item into section paas under version,
// with its link and title as near-duplicate keys.
func mustClassifyAll(tb testing.TB, db *sqlite.DB, version string) {
	tb.Helper()
	items, err := db.ItemsToClassify(context.Background(), version, 0, 1000)
	if err != nil {
		tb.Fatal(err)
	}
	var cs []feeds.Classification
	for _, it := range items {
		cs = append(cs, feeds.Classification{ItemID: it.ID, Section: "paas", CanonicalURL: feeds.CanonicalURL(it.Link), TitleKey: it.Title})
	}
	mustSetSections(tb, db, version, cs...)
}

// TestSyncSourcesSpelling: a source URL written otherwise (host in capitals,
// the default port, parameters in another order) under another name is
// still the same source, with its fetch state and its items; two feeds that
// differ in a parameter's value are two sources.
func TestSyncSourcesSpelling(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	out, err := db.SyncSources(ctx, []feeds.Source{
		{Name: "Team A", ConfigURL: "https://e.example/feed.php?team=a&fmt=rss"},
		{Name: "Team B", ConfigURL: "https://e.example/feed.php?team=b&fmt=rss"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].ID == out[1].ID {
		t.Fatal("two feeds that differ in a parameter are one source")
	}
	st := feeds.FetchState{URL: "https://e.example/feed.php?team=a&fmt=rss", ETag: `"a1"`, LastSuccess: testNow}
	if _, err := db.SaveFetch(ctx, out[0].ID, st, []feeds.Item{newItem("x", testNow)}, testNow); err != nil {
		t.Fatal(err)
	}
	respelled := "HTTPS://E.example:443/feed.php?fmt=rss&team=a"
	again, err := db.SyncSources(ctx, []feeds.Source{
		{Name: "Team A, renamed", ConfigURL: respelled},
		{Name: "Team B", ConfigURL: "https://e.example/feed.php?team=b&fmt=rss"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if again[0].ID != out[0].ID || again[0].State.ETag != `"a1"` {
		t.Errorf("respelled URL: source %d with ETag %q, want source %d with its ETag kept", again[0].ID, again[0].State.ETag, out[0].ID)
	}
	srcs, _ := db.Sources(ctx)
	counts, _ := db.SourceItemCounts(ctx)
	if len(srcs) != 2 || counts[out[0].ID] != 1 {
		t.Errorf("after the respelling: %d active sources, %d items of the first; want 2 and 1", len(srcs), counts[out[0].ID])
	}
	for _, s := range srcs {
		if s.ID == out[0].ID && (s.ConfigURL != respelled || s.State.URL != respelled) {
			t.Errorf("stored URLs %q / %q, want the configuration's spelling %q", s.ConfigURL, s.State.URL, respelled)
		}
	}
	if _, err := db.SyncSources(ctx, []feeds.Source{
		{Name: "a", ConfigURL: "https://e.example/f"}, {Name: "b", ConfigURL: "https://E.example/f"},
	}); err == nil {
		t.Error("one source URL listed twice in two spellings was accepted")
	}
}
