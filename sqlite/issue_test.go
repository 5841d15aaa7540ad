package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// issueItems stores n items of one source and returns their IDs.
func issueItems(t *testing.T, db *sqlite.DB, n int, from int) []int64 {
	t.Helper()
	ctx := context.Background()
	srcs, err := db.SyncSources(ctx, []feeds.Source{{Name: "s", ConfigURL: "https://example.com/feed"}})
	if err != nil {
		t.Fatal(err)
	}
	var its []feeds.Item
	for i := from; i < from+n; i++ {
		its = append(its, feeds.Item{GUID: fmt.Sprint(i), Link: fmt.Sprintf("https://example.com/%d", i), Title: fmt.Sprintf("item %d", i)})
	}
	now := time.Date(2016, 6, 28, 0, 0, 0, 0, time.UTC)
	if _, err := db.SaveFetch(ctx, srcs[0].ID, feeds.FetchState{URL: srcs[0].ConfigURL}, its, now); err != nil {
		t.Fatal(err)
	}
	all, err := db.ListItems(ctx, sqlite.ItemFilter{Unpublished: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range all {
		var k int
		fmt.Sscan(it.GUID, &k)
		if k >= from && k < from+n {
			ids = append(ids, it.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// order returns "section:itemID/state" of each entry, by section and position.
func order(t *testing.T, db *sqlite.DB, w feeds.Week) []string {
	t.Helper()
	ed, err := db.EditedIssue(context.Background(), w)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, e := range ed.Entries {
		if e.Position != 1 && (i == 0 || ed.Entries[i-1].Section != e.Section || ed.Entries[i-1].Position != e.Position-1) {
			t.Errorf("entry %d at position %d after %+v", e.ID, e.Position, ed.Entries[max(i-1, 0)])
		}
		out = append(out, fmt.Sprintf("%s:%d/%s", e.Section, e.ItemID, e.State))
	}
	return out
}

// TestIssueStore: a draft keeps its candidates' order; a later sync adds
// only new items, as "later", at the end of their section; moves and
// orders renumber positions; an edit of another week's entry is refused.
func TestIssueStore(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	w := feeds.Week{Year: 2016, Week: 26}
	ids := issueItems(t, db, 4, 0)
	now := time.Date(2016, 6, 29, 0, 0, 0, 0, time.UTC)
	cand := func(section string, ids ...int64) []feeds.IssueEntry {
		var out []feeds.IssueEntry
		for _, id := range ids {
			out = append(out, feeds.IssueEntry{ItemID: id, Section: section, Title: fmt.Sprint(id)})
		}
		return out
	}
	first := append(cand("a", ids[2], ids[0]), cand("b", ids[1])...)
	if n, err := db.SyncIssue(ctx, w, first, now); err != nil || n != 3 {
		t.Fatalf("create: %d, %v", n, err)
	}
	want := []string{fmt.Sprintf("a:%d/accepted", ids[2]), fmt.Sprintf("a:%d/accepted", ids[0]), fmt.Sprintf("b:%d/accepted", ids[1])}
	if got := order(t, db, w); !slices.Equal(got, want) {
		t.Fatalf("draft %q, want %q", got, want)
	}
	v, _ := db.Version(ctx)
	// The same candidates in another order (a rules change): nothing moves.
	if n, err := db.SyncIssue(ctx, w, append(cand("b", ids[0]), cand("a", ids[1], ids[2])...), now); err != nil || n != 0 {
		t.Fatalf("resync: %d, %v", n, err)
	}
	if got := order(t, db, w); !slices.Equal(got, want) {
		t.Errorf("a resync changed the draft: %q, want %q", got, want)
	}
	if v2, _ := db.Version(ctx); v2 != v {
		t.Errorf("a resync that added nothing moved the version %d -> %d", v, v2)
	}
	// A new candidate, best scored, comes in as "later" at its section's end.
	if n, err := db.SyncIssue(ctx, w, cand("a", ids[3], ids[2], ids[0]), now); err != nil || n != 1 {
		t.Fatalf("late sync: %d, %v", n, err)
	}
	want = append(want[:2:2], fmt.Sprintf("a:%d/later", ids[3]), want[2])
	if got := order(t, db, w); !slices.Equal(got, want) {
		t.Errorf("after a late item %q, want %q", got, want)
	}

	ed, err := db.EditedIssue(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	entry := map[int64]int64{}
	for _, e := range ed.Entries {
		entry[e.ItemID] = e.ID
	}
	if err := db.MoveEntry(ctx, w, entry[ids[1]], "a", 2, now); err != nil {
		t.Fatal(err)
	}
	// Moving an issue's entry is the editor's decision about the item: it
	// is curated there, and a labelled example for the curator.
	if c, err := db.ItemCuration(ctx, ids[1]); err != nil || c.Section != "a" {
		t.Errorf("after the move of its entry, item %d is curated %+v (%v), want section a", ids[1], c, err)
	}
	examples, err := db.Examples(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	labelled := false
	for _, e := range examples {
		labelled = labelled || (e.ItemID == ids[1] && e.Section == "a" && e.Origin == sqlite.OriginMoved)
	}
	if !labelled {
		t.Errorf("the move is no labelled example: %+v", examples)
	}
	if err := db.OrderSection(ctx, w, "a", []int64{entry[ids[3]], entry[ids[0]]}, now); err != nil {
		t.Fatal(err)
	}
	want = []string{fmt.Sprintf("a:%d/later", ids[3]), fmt.Sprintf("a:%d/accepted", ids[0]), fmt.Sprintf("a:%d/accepted", ids[2]), fmt.Sprintf("a:%d/accepted", ids[1])}
	if got := order(t, db, w); !slices.Equal(got, want) {
		t.Errorf("after move and order %q, want %q", got, want)
	}
	if err := db.OrderSection(ctx, w, "b", []int64{entry[ids[0]]}, now); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("ordering an entry of another section: %v", err)
	}
	if err := db.SetEntryState(ctx, w.Next(), entry[ids[0]], feeds.EntryRejected, now); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("an edit through another week: %v", err)
	}
	if _, err := db.FrozenIssue(ctx, w); !errors.Is(err, sqlite.ErrNotPublished) || !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("frozen draft: %v", err)
	}
	if err := db.SetEntryRelated(ctx, w, entry[ids[0]], []feeds.RelatedLink{{ItemID: 999999}}, now); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("related to no item: %v", err)
	}
}

// TestIssueLabels: the editor's issues teach the curator. A rejected item
// is a "not for the digest" example until it is accepted again; publishing
// labels the items the issue keeps, in the section it publishes them in, and
// a re-publication replaces those labels; a moved item keeps its move's.
func TestIssueLabels(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	w := feeds.Week{Year: 2016, Week: 26}
	ids := issueItems(t, db, 3, 0)
	now := time.Date(2016, 6, 29, 0, 0, 0, 0, time.UTC)
	var cands []feeds.IssueEntry
	for _, id := range ids {
		cands = append(cands, feeds.IssueEntry{ItemID: id, Section: "a", Title: fmt.Sprint(id)})
	}
	if _, err := db.SyncIssue(ctx, w, cands, now); err != nil {
		t.Fatal(err)
	}
	ed, err := db.EditedIssue(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	entry := map[int64]int64{}
	for _, e := range ed.Entries {
		entry[e.ItemID] = e.ID
	}
	// labels returns "origin:section" per item ID, failing on two labels
	// of one item.
	labels := func() map[int64]string {
		t.Helper()
		ex, err := db.Examples(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]string{}
		for _, e := range ex {
			if prev, dup := out[e.ItemID]; dup {
				t.Errorf("item %d has two labels: %s and %s:%s", e.ItemID, prev, e.Origin, e.Section)
			}
			out[e.ItemID] = e.Origin + ":" + e.Section
			if e.Issue != w {
				t.Errorf("label of item %d is of week %s, want %s", e.ItemID, e.Issue, w)
			}
		}
		return out
	}
	check := func(when string, want map[int64]string) {
		t.Helper()
		if got := labels(); !maps.Equal(got, want) {
			t.Errorf("%s: labels %v, want %v", when, got, want)
		}
	}
	v0, _ := db.LabelsVersion(ctx)
	if err := db.SetEntryState(ctx, w, entry[ids[0]], feeds.EntryRejected, now); err != nil {
		t.Fatal(err)
	}
	check("after a reject", map[int64]string{ids[0]: "rejected:a"})
	ex, _ := db.Examples(ctx, nil)
	if len(ex) != 1 || !ex[0].Hidden() || ex[0].Title != "item 0" || ex[0].Source != "s" {
		t.Errorf("the rejection's example: %+v, want a hidden one with the item's text and source", ex)
	}
	if v1, _ := db.LabelsVersion(ctx); v1 == v0 {
		t.Errorf("a rejection left the labels version at %s", v1)
	}
	if err := db.SetEntryState(ctx, w, entry[ids[0]], feeds.EntryLater, now); err != nil {
		t.Fatal(err)
	}
	check("after later", map[int64]string{})
	if err := db.SetEntryState(ctx, w, entry[ids[0]], feeds.EntryRejected, now); err != nil {
		t.Fatal(err)
	}
	if err := db.MoveEntry(ctx, w, entry[ids[1]], "b", 0, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PublishIssue(ctx, w, &feeds.Issue{Week: w}, now); err != nil {
		t.Fatal(err)
	}
	check("after publishing", map[int64]string{ids[0]: "rejected:a", ids[1]: "moved:b", ids[2]: "published:a"})
	// A correction: the third item goes, the first comes back.
	if err := db.SetEntryState(ctx, w, entry[ids[2]], feeds.EntryRejected, now); err != nil {
		t.Fatal(err)
	}
	if err := db.SetEntryState(ctx, w, entry[ids[0]], feeds.EntryAccepted, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PublishIssue(ctx, w, &feeds.Issue{Week: w}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("after a re-publication", map[int64]string{ids[0]: "published:a", ids[1]: "moved:b", ids[2]: "rejected:a"})
}
