package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
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

// TestAlsoInNeverListsItself: whatever made two rows of one story, an entry
// is never "also seen in" a source of its own name, and another source's
// copy at the entry's own link is named without the link. The database
// below is what earlier versions left after the demo restarted on a new
// port: two sources of one name, each with a copy of every item.
func TestAlsoInNeverListsItself(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	srcs, err := db.SyncSources(ctx, []feeds.Source{
		{Name: "demo", ConfigURL: "http://127.0.0.1:41001/feed"},
		{Name: "demo", ConfigURL: "http://127.0.0.1:41002/feed"},
		{Name: "mirror", ConfigURL: "https://mirror.example/feed"},
		{Name: "other", ConfigURL: "https://other.example/feed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	story := newItem("a", testNow.Add(-time.Hour))
	for _, s := range srcs[:3] {
		mustSave(t, db, s.ID, story)
	}
	elsewhere := story
	elsewhere.Link = "https://other.example/reprint/a"
	mustSave(t, db, srcs[3].ID, elsewhere)
	mustClassifyAll(t, db, "v1")

	items, err := db.PublishedItems(ctx, "", feeds.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("published %d items, want the story once", len(items))
	}
	got := items[0].AlsoIn
	want := []feeds.Mention{{Source: "mirror"}, {Source: "other", Link: elsewhere.Link}}
	if !slices.Equal(got, want) {
		t.Errorf("%s (source %s) is also in %+v, want %+v", items[0].Link, items[0].SourceName, got, want)
	}
}

// saveFrom stores items as a fetch of source id whose feed names site as
// its website.
func saveFrom(tb testing.TB, db *sqlite.DB, id int64, site string, items ...feeds.Item) {
	tb.Helper()
	st := feeds.FetchState{URL: fmt.Sprintf("https://feeds.example/%d", id), LastSuccess: testNow, FeedLink: site}
	if _, err := db.SaveFetch(context.Background(), id, st, items, testNow); err != nil {
		tb.Fatal(err)
	}
}

// story returns a copy of one story as source key publishes it.
func story(key, link string, published time.Time) feeds.Item {
	it := newItem(key, published)
	it.Title = "Docker 27 ships with built-in orchestration"
	it.Link = link
	it.Summary = "summary by " + key
	it.Hash = feeds.ContentHash(&it)
	return it
}

// publishedStory returns the one published item, failing unless there is
// exactly one.
func publishedStory(tb testing.TB, db *sqlite.DB, when string) feeds.Item {
	tb.Helper()
	items, err := db.PublishedItems(context.Background(), "", feeds.Cursor{}, 10)
	if err != nil {
		tb.Fatal(err)
	}
	if len(items) != 1 {
		tb.Fatalf("%s: published %d items %v, want the story once", when, len(items), guidsOf(items))
	}
	return items[0]
}

// TestOriginalWinsOverFastCopycat: the copy stored first does not decide
// which copy of a story is published. The original, on its own source's
// site, beats a copycat listed earlier in the configuration; between copies
// neither of which is on its source's site, the source listed first wins.
// When the better copy arrives after the other was published, the
// published one switches.
func TestOriginalWinsOverFastCopycat(t *testing.T) {
	for name, tc := range map[string]struct {
		sources         []feeds.Source // the copycat's first
		copycatSite     string
		originalSite    string
		copycat, origin feeds.Item
	}{
		"the original's own site": {
			sources:      []feeds.Source{{Name: "copycat", ConfigURL: "https://copycat.example/feed"}, {Name: "docker", ConfigURL: "https://feeds.docker.example/blog"}},
			copycatSite:  "https://copycat.example/",
			originalSite: "https://www.docker.example/blog/",
			copycat:      story("copy", "https://www.docker.example/blog/docker-27?utm_source=copycat", testNow.Add(-time.Hour)),
			origin:       story("orig", "https://docker.example/blog/docker-27", testNow.Add(-2*time.Hour)),
		},
		"the source listed first": {
			sources:      []feeds.Source{{Name: "docker", ConfigURL: "https://docker.example/feed"}, {Name: "copycat", ConfigURL: "https://copycat.example/feed"}},
			copycatSite:  "https://copycat.example/",
			originalSite: "https://docker.example/",
			copycat:      story("copy", "https://copycat.example/2026/docker-27.html", testNow.Add(-3*time.Hour)),
			origin:       story("orig", "https://docker.example/blog/docker-27", testNow.Add(-2*time.Hour)),
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := MustOpenDB(t)
			srcs, err := db.SyncSources(ctx, tc.sources)
			if err != nil {
				t.Fatal(err)
			}
			copycatID, originalID := srcs[0].ID, srcs[1].ID
			if tc.sources[0].Name != "copycat" {
				copycatID, originalID = originalID, copycatID
			}
			saveFrom(t, db, copycatID, tc.copycatSite, tc.copycat)
			mustClassifyAll(t, db, "v1")
			if got := publishedStory(t, db, "copycat alone"); got.Key != tc.copycat.Key {
				t.Fatalf("copycat alone: published %s", got.Key)
			}

			v := mustVersion(t, db)
			saveFrom(t, db, originalID, tc.originalSite, tc.origin)
			mustClassifyAll(t, db, "v1")
			got := publishedStory(t, db, "original arrived")
			if got.Key != tc.origin.Key || got.Link != tc.origin.Link || got.Summary != tc.origin.Summary || got.SourceName != "docker" {
				t.Errorf("after the original arrived, published %s from %s (%s, %q), want the original", got.Key, got.SourceName, got.Link, got.Summary)
			}
			if want := []feeds.Mention{{Source: "copycat", Link: tc.copycat.Link}}; !slices.Equal(got.AlsoIn, want) {
				t.Errorf("also in %+v, want %+v", got.AlsoIn, want)
			}
			if mustVersion(t, db) == v {
				t.Error("the switch did not change the version")
			}
			ids := mustItemIDs(t, db)
			if of, err := db.DuplicateOf(ctx, ids[tc.copycat.Key]); err != nil || of != ids[tc.origin.Key] {
				t.Errorf("copycat duplicates %d (%v), want the original %d", of, err, ids[tc.origin.Key])
			}

			// New rules decide every copy again: the same one wins.
			mustClassifyAll(t, db, "v2")
			if got := publishedStory(t, db, "re-classified"); got.Key != tc.origin.Key {
				t.Errorf("after re-classification published %s, want the original", got.Key)
			}
		})
	}
}

// TestSetPrimary: the editor chooses the copy of a story that is
// published, and later copies and re-classifications keep that choice.
func TestSetPrimary(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	srcs, err := db.SyncSources(ctx, []feeds.Source{
		{Name: "docker", ConfigURL: "https://docker.example/feed"},
		{Name: "digest", ConfigURL: "https://digest.example/feed"},
		{Name: "third", ConfigURL: "https://third.example/feed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	saveFrom(t, db, srcs[0].ID, "https://docker.example/", story("orig", "https://docker.example/blog/27", testNow.Add(-2*time.Hour)))
	saveFrom(t, db, srcs[1].ID, "https://digest.example/", story("digest", "https://digest.example/on-docker-27", testNow.Add(-time.Hour)))
	mustClassifyAll(t, db, "v1")
	ids := mustItemIDs(t, db)
	if got := publishedStory(t, db, "classified"); got.Key != "guid:orig" {
		t.Fatalf("published %s, want the original first", got.Key)
	}

	if err := db.SetPrimary(ctx, ids["guid:digest"]); err != nil {
		t.Fatal(err)
	}
	got := publishedStory(t, db, "editor's choice")
	if got.Key != "guid:digest" || got.Summary != "summary by digest" {
		t.Errorf("after SetPrimary published %s (%q), want the editor's choice", got.Key, got.Summary)
	}
	if want := []feeds.Mention{{Source: "docker", Link: "https://docker.example/blog/27"}}; !slices.Equal(got.AlsoIn, want) {
		t.Errorf("also in %+v, want %+v", got.AlsoIn, want)
	}

	// A better copy arrives, and the rules change: the choice stays.
	saveFrom(t, db, srcs[2].ID, "https://third.example/", story("third", "https://third.example/27", testNow.Add(-3*time.Hour)))
	mustClassifyAll(t, db, "v1")
	mustClassifyAll(t, db, "v2")
	if got := publishedStory(t, db, "after more copies"); got.Key != "guid:digest" || len(got.AlsoIn) != 2 {
		t.Errorf("published %s also in %+v, want the editor's choice also in docker and third", got.Key, got.AlsoIn)
	}

	// Choosing again moves the choice.
	if err := db.SetPrimary(ctx, ids["guid:orig"]); err != nil {
		t.Fatal(err)
	}
	mustClassifyAll(t, db, "v3")
	if got := publishedStory(t, db, "second choice"); got.Key != "guid:orig" {
		t.Errorf("after a second SetPrimary published %s, want orig", got.Key)
	}

	if err := db.SetPrimary(ctx, 999); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("SetPrimary of an unknown item: %v", err)
	}
	if err := db.SetCuration(ctx, ids["guid:digest"], feeds.Curation{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPrimary(ctx, ids["guid:digest"]); !errors.Is(err, sqlite.ErrHidden) {
		t.Errorf("SetPrimary of a hidden item: %v", err)
	}
}

// TestPrimaryBecomingACopyHandsOnItsCopies: groups stay one level deep.
// When a primary turns out to be a copy of another story's primary (its
// title was edited to match), the copies folded into it follow it.
func TestPrimaryBecomingACopyHandsOnItsCopies(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	srcs := syncOne(t, db, 3)
	mustSave(t, db, srcs[0], newItem("a", testNow.Add(-3*time.Hour)))
	mustSave(t, db, srcs[1], newItem("b", testNow.Add(-2*time.Hour)))
	mustSave(t, db, srcs[2], newItem("c", testNow.Add(-time.Hour)))
	ids := mustItemIDs(t, db)
	a, b, c := ids["guid:a"], ids["guid:b"], ids["guid:c"]
	mustSetSections(t, db, "v1",
		feeds.Classification{ItemID: a, Section: "paas", CanonicalURL: "//a.example/a", TitleKey: "storyofa"},
		feeds.Classification{ItemID: b, Section: "paas", CanonicalURL: "//b.example/b", TitleKey: "storyofb"},
		feeds.Classification{ItemID: c, Section: "paas", CanonicalURL: "//b.example/b", TitleKey: "storyofc"})
	if of, _ := db.DuplicateOf(ctx, c); of != b {
		t.Fatalf("c duplicates %d, want b %d", of, b)
	}

	// b's title now tells a's story: b is a copy of a, and so is c.
	mustSetSections(t, db, "v1", feeds.Classification{ItemID: b, Section: "paas", CanonicalURL: "//b.example/b", TitleKey: "storyofa"})
	for name, id := range map[string]int64{"b": b, "c": c} {
		if of, err := db.DuplicateOf(ctx, id); err != nil || of != a {
			t.Errorf("%s duplicates %d (%v), want a %d", name, of, err, a)
		}
	}
	got := publishedStory(t, db, "after b joined a")
	if got.ID != a || len(got.AlsoIn) != 2 {
		t.Errorf("published item %d also in %+v, want a also in s1 and s2", got.ID, got.AlsoIn)
	}
}

// TestReorderedSourcesDecideAgain: moving a source up in the configuration
// queues the copies of stories for the curator, and the copy of the source
// now listed first is published.
func TestReorderedSourcesDecideAgain(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	in := []feeds.Source{{Name: "first", ConfigURL: "https://first.example/feed"}, {Name: "second", ConfigURL: "https://second.example/feed"}}
	srcs, err := db.SyncSources(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	saveFrom(t, db, srcs[1].ID, "https://second.example/", story("second", "https://second.example/27", testNow.Add(-2*time.Hour)))
	saveFrom(t, db, srcs[0].ID, "https://first.example/", story("first", "https://first.example/27", testNow.Add(-time.Hour)))
	mustClassifyAll(t, db, "v1")
	if got := publishedStory(t, db, "classified"); got.Key != "guid:first" {
		t.Fatalf("published %s, want the copy of the source listed first", got.Key)
	}

	// Adding a source at the top moves nobody relative to anybody.
	in = append([]feeds.Source{{Name: "new", ConfigURL: "https://new.example/feed"}}, in...)
	if _, err := db.SyncSources(ctx, in); err != nil {
		t.Fatal(err)
	}
	if pending, _ := db.ItemsToClassify(ctx, "v1", 0, 10); len(pending) != 0 {
		t.Errorf("a source added at the top queued %d items, want none", len(pending))
	}

	in[1], in[2] = in[2], in[1]
	if _, err := db.SyncSources(ctx, in); err != nil {
		t.Fatal(err)
	}
	pending, err := db.ItemsToClassify(ctx, "v1", 0, 10)
	if err != nil || len(pending) != 1 || pending[0].Key != "guid:second" {
		t.Fatalf("after the swap %d pending (%v), want the copy of second, folded into first's", len(pending), err)
	}
	mustClassifyAll(t, db, "v1")
	if got := publishedStory(t, db, "after the swap"); got.Key != "guid:second" {
		t.Errorf("after the swap published %s, want the copy of second, now listed first", got.Key)
	}
}
