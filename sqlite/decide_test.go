package sqlite_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// The curator's loop finds these methods by a type assertion: a change of
// signature must not quietly turn classification on arrival off.
var _ curator.LiveStore = (*sqlite.DB)(nil)

// decideRules are rules that read every field the store fills in for the
// curator, the source's name and tags included, with an exclude rule and a
// margin for review.
func decideRules(t *testing.T) *curator.Ruleset {
	t.Helper()
	rs, err := curator.Compile([]curator.SectionSpec{
		{ID: "containers", Title: "云计算及容器技术", Rules: []curator.RuleSpec{
			{Keywords: []string{"docker", "容器"}},
			{Keywords: []string{"kube"}, Fields: []string{"tags"}, Weight: 3},
		}},
		{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{
			{Keywords: []string{"acquire", "收购"}},
			{Keywords: []string{"s1"}, Fields: []string{"source"}},
		}},
		{ID: "misc", Title: "大杂烩"},
	}, curator.Options{Fallback: "misc", Threshold: 1, ReviewMargin: 1,
		Exclude: []curator.RuleSpec{{Keywords: []string{"sponsored"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// decideFixture stores the same fetches in db: items of three sources
// whose decisions depend on text, source name and tags, an excluded item,
// a close call, and copies of one story in two sources (the second better
// than the first), by URL and by title.
func decideFixture(t *testing.T, db *sqlite.DB) {
	t.Helper()
	ctx := context.Background()
	out, err := db.SyncSources(ctx, []feeds.Source{
		{Name: "s0", ConfigURL: "https://example.com/feed/0"},
		{Name: "s1", ConfigURL: "https://example.com/feed/1", Tags: []string{"kube"}},
		{Name: "s2", ConfigURL: "https://copy.example/feed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	item := func(key, title, link string, at time.Time) feeds.Item {
		it := newItem(key, at)
		it.Title, it.Summary, it.Content, it.Link = title, "", "", link
		it.Hash = feeds.ContentHash(&it)
		return it
	}
	fetches := [][]feeds.Item{
		{
			item("a", "Docker 1.12 发布", "https://example.com/a", testNow.Add(-time.Hour)),
			item("b", "Sponsored: docker hosting", "https://example.com/b", testNow.Add(-time.Hour)),
			item("c", "Docker to acquire a startup", "https://example.com/c", testNow.Add(-time.Hour)), // close call
			item("story", "SUSE 收购 Rancher", "https://copy.example/story", testNow.Add(-time.Hour)),
		},
		{
			item("d", "Weekly notes", "https://example.com/d", testNow.Add(-time.Hour)), // s1's tags and name
			// The original of "story", on its own site: it takes the copy's place.
			item("story", "SUSE 收购 Rancher", "https://example.com/story", testNow.Add(-2*time.Hour)),
		},
		{
			// Copies by title of "a" and of "story".
			item("e", "Docker 1.12 发布", "https://copy.example/e", testNow.Add(-30*time.Minute)),
			item("story2", "SUSE 收购 Rancher", "https://copy.example/story", testNow),
		},
	}
	for i, f := range fetches {
		st := feeds.FetchState{URL: []string{"https://example.com/feed/0", "https://example.com/feed/1", "https://copy.example/feed"}[i],
			LastFetch: testNow, LastSuccess: testNow, LastStatus: 200}
		if _, err := db.SaveFetch(ctx, out[i].ID, st, f, testNow); err != nil {
			t.Fatal(err)
		}
	}
}

// stored is what the store holds of one item's decision.
type stored struct {
	section, version string
	score            float64
	excluded         bool
	dupOf            string // the key of the item it duplicates
	review           bool
}

func storedDecisions(t *testing.T, db *sqlite.DB) map[string]stored {
	t.Helper()
	ctx := context.Background()
	all, err := db.ListItems(ctx, sqlite.ItemFilter{Unpublished: true})
	if err != nil {
		t.Fatal(err)
	}
	review, err := db.ListItems(ctx, sqlite.ItemFilter{Review: true, Unpublished: true})
	if err != nil {
		t.Fatal(err)
	}
	inReview := map[int64]bool{}
	for _, it := range review {
		inReview[it.ID] = true
	}
	keyOf := map[int64]string{}
	for _, it := range all {
		keyOf[it.ID] = fmt.Sprintf("%s/%d", it.Key, it.SourceID)
	}
	out := map[string]stored{}
	for _, it := range all {
		d, err := db.ItemDecision(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[keyOf[it.ID]] = stored{section: d.Item.Section, version: d.RulesVersion, score: d.Item.Score,
			excluded: d.Item.Excluded, dupOf: keyOf[d.DuplicateOf], review: inReview[it.ID]}
	}
	return out
}

// TestDecideOnSave: with the curator's decider lent to the store, new items
// are stored classified, nothing waits for the curator, and each decision
// (near-duplicates and review marks included) is the one the curator's own
// pass stores for the same fetches, and the one explain gives for the
// stored item.
func TestDecideOnSave(t *testing.T) {
	ctx := context.Background()
	rs := decideRules(t)

	// The curator's pass after the fetches, as without a decider.
	byPass := MustOpenDB(t)
	decideFixture(t, byPass)
	c := curator.New(byPass, rs, 0, zerolog.Nop())
	if n, _, err := c.ClassifyPending(ctx); err != nil || n != 8 {
		t.Fatalf("curator's pass: %d items, %v", n, err)
	}

	// Decided as stored; the decider sees each item as the store will
	// return it.
	onSave := MustOpenDB(t)
	cur := curator.New(onSave, rs, 0, zerolog.Nop())
	seen := map[string]feeds.Item{}
	onSave.SetDecider(func(items []feeds.Item) (string, []feeds.Classification) {
		for _, it := range items {
			seen[fmt.Sprintf("%s/%d", it.Key, it.SourceID)] = it
		}
		return cur.Decide(items)
	})
	decideFixture(t, onSave)
	if left, err := onSave.ItemsToClassify(ctx, rs.Version(), 0, 10); err != nil || len(left) != 0 {
		t.Fatalf("after saves with a decider, %d items wait for classification (%v)", len(left), err)
	}
	select {
	case <-onSave.ItemsQueued():
		t.Error("ItemsQueued signalled, but every item was decided")
	default:
	}

	want, got := storedDecisions(t, byPass), storedDecisions(t, onSave)
	if len(got) != 8 || len(want) != 8 {
		t.Fatalf("%d and %d items stored, want 8", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: decided on save %+v, by the curator's pass %+v", k, got[k], w)
		}
	}
	// The fixture means something: each kind of decision occurs.
	if w := want["guid:b/1"]; !w.excluded || w.dupOf != "" {
		t.Errorf("b: %+v, want excluded by the rules", w)
	}
	if w := want["guid:c/1"]; !w.review {
		t.Errorf("c: %+v, want a close call", w)
	}
	if w := want["guid:d/2"]; w.section != "containers" {
		t.Errorf("d: %+v, want containers by its source's tags", w)
	}
	if w := want["guid:story/1"]; w.dupOf != "guid:story/2" {
		t.Errorf("story of s0: %+v, want folded into s1's original", w)
	}
	if w := want["guid:story2/3"]; w.dupOf != "guid:story/2" {
		t.Errorf("story of s2: %+v, want folded into s1's original", w)
	}
	if w := want["guid:e/3"]; w.dupOf != "guid:a/1" {
		t.Errorf("e: %+v, want folded into a", w)
	}

	// Explain agrees with every stored decision.
	all, err := onSave.ListItems(ctx, sqlite.ItemFilter{Unpublished: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range all {
		d, err := onSave.ItemDecision(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		decided, ok := seen[fmt.Sprintf("%s/%d", it.Key, it.SourceID)]
		read := d.Item
		read.ID, read.Section, read.Score, read.Excluded = 0, "", 0, false
		if !ok || !reflect.DeepEqual(decided, read) {
			t.Errorf("item %s: decided as\n%+v\nstored as\n%+v", it.Key, decided, read)
		}
		ex := rs.Explain(&d.Item)
		if d.DuplicateOf != 0 {
			continue // published under its primary: excluded whatever the rules say
		}
		if ex.Section != d.Item.Section || ex.Score != d.Item.Score || ex.Excluded != d.Item.Excluded {
			t.Errorf("item %s: stored %s %.2f excluded=%v, explain says %s %.2f excluded=%v",
				it.Key, d.Item.Section, d.Item.Score, d.Item.Excluded, ex.Section, ex.Score, ex.Excluded)
		}
	}
}

// TestDecideOnSaveSourceChanged: a decision made with a source's old name
// or tags is not stored: the item waits for the curator, which is told.
func TestDecideOnSaveSourceChanged(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	rs := decideRules(t)
	src := feeds.Source{Name: "s1", ConfigURL: "https://example.com/feed/1"}
	out, err := db.SyncSources(ctx, []feeds.Source{src})
	if err != nil {
		t.Fatal(err)
	}
	c := curator.New(db, rs, 0, zerolog.Nop())
	// The decider runs in SaveFetch's goroutine before the write: the
	// source is retagged in between.
	db.SetDecider(func(items []feeds.Item) (string, []feeds.Classification) {
		src.Tags = []string{"kube"}
		if _, err := db.SyncSources(ctx, []feeds.Source{src}); err != nil {
			t.Error(err)
		}
		return c.Decide(items)
	})
	mustSave(t, db, out[0].ID, newItem("a", testNow))
	select {
	case <-db.ItemsQueued():
	default:
		t.Error("an item stored without its decision, and ItemsQueued not signalled")
	}
	left, err := db.ItemsToClassify(ctx, rs.Version(), 0, 10)
	if err != nil || len(left) != 1 {
		t.Fatalf("%d items wait for the curator (%v), want the one decided with the old tags", len(left), err)
	}
	db.SetDecider(nil)
	if n, _, err := c.ClassifyPending(ctx); err != nil || n != 1 {
		t.Fatalf("curator's pass: %d, %v", n, err)
	}
	if it, err := db.Item(ctx, left[0].ID); err != nil || it.Section != "containers" {
		t.Errorf("item in %q (%v), want containers by the source's new tags", it.Section, err)
	}
}

// TestDecideOnSaveLeavesEditsToTheCurator: an item whose text changed is
// decided by the curator's pass, which keeps the editor's decision; the
// store tells the curator about it.
func TestDecideOnSaveLeavesEditsToTheCurator(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	rs := decideRules(t)
	src := syncOne(t, db, 1)[0]
	c := curator.New(db, rs, 0, zerolog.Nop())
	db.SetDecider(c.Decide)
	it := newItem("a", testNow)
	it.Title = "Docker news"
	it.Hash = feeds.ContentHash(&it)
	mustSave(t, db, src, it)
	id := mustItemIDs(t, db)["guid:a"]
	if err := db.SetCuration(ctx, id, feeds.Curation{Section: "industry"}); err != nil {
		t.Fatal(err)
	}
	it.Title = "Docker news, updated"
	it.Hash = feeds.ContentHash(&it)
	if stats := mustSave(t, db, src, it); stats.Updated != 1 {
		t.Fatalf("save: %+v, want one updated", stats)
	}
	select {
	case <-db.ItemsQueued():
	default:
		t.Error("an edited item stored, and ItemsQueued not signalled")
	}
	if n, _, err := c.ClassifyPending(ctx); err != nil || n != 1 {
		t.Fatalf("curator's pass: %d, %v", n, err)
	}
	d, err := db.ItemDecision(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Item.Section != "industry" || d.Curation.Section != "industry" || d.Item.Title != it.Title || d.RulesVersion != rs.Version() {
		t.Errorf("after the edit: section %q, curation %+v, title %q, rules %q; want the editor's industry",
			d.Item.Section, d.Curation, d.Item.Title, d.RulesVersion)
	}
}

// TestRequeueSignals: items queued again wake the curator.
func TestRequeueSignals(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	db.SetDecider(curator.New(db, decideRules(t), 0, zerolog.Nop()).Decide)
	mustSave(t, db, syncOne(t, db, 1)[0], newItem("a", testNow))
	if n, err := db.Requeue(ctx, testNow.Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("requeue: %d, %v", n, err)
	}
	select {
	case <-db.ItemsQueued():
	default:
		t.Error("items queued again, and ItemsQueued not signalled")
	}
}

// TestReclassifyMatchesFreshPass: when the rules change, the curator's pass
// over decided items (most decided alike, which writes only the version)
// leaves the store as a first pass under the new rules does.
func TestReclassifyMatchesFreshPass(t *testing.T) {
	ctx := context.Background()
	rs := decideRules(t)
	// New rules: the tag rule is gone and the text weighs more, so some
	// items move, some keep their section with another score or without
	// the close call, and the others are decided alike.
	rs2, err := curator.Compile([]curator.SectionSpec{
		{ID: "containers", Title: "云计算及容器技术", Rules: []curator.RuleSpec{{Keywords: []string{"docker", "容器"}, Weight: 3}}},
		{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{
			{Keywords: []string{"acquire", "收购"}},
			{Keywords: []string{"s1"}, Fields: []string{"source"}},
		}},
		{ID: "misc", Title: "大杂烩"},
	}, curator.Options{Fallback: "misc", Threshold: 1, ReviewMargin: 1,
		Exclude: []curator.RuleSpec{{Keywords: []string{"sponsored"}}}})
	if err != nil {
		t.Fatal(err)
	}

	fresh := MustOpenDB(t)
	decideFixture(t, fresh)
	if n, _, err := curator.New(fresh, rs2, 0, zerolog.Nop()).ClassifyPending(ctx); err != nil || n != 8 {
		t.Fatalf("fresh pass: %d, %v", n, err)
	}

	again := MustOpenDB(t)
	again.SetDecider(curator.New(again, rs, 0, zerolog.Nop()).Decide)
	decideFixture(t, again)
	again.SetDecider(nil)
	before := storedDecisions(t, again)
	// The same rules again (as after Requeue): every item decided alike.
	if _, err := again.Requeue(ctx, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if n, changed, err := curator.New(again, rs, 0, zerolog.Nop()).ClassifyPending(ctx); err != nil || n != 8 || changed != 0 {
		t.Fatalf("same rules again: %d classified, %d changed, %v", n, changed, err)
	}
	for k, w := range before {
		if got := storedDecisions(t, again)[k]; got != w {
			t.Errorf("%s after the same rules again: %+v, want %+v", k, got, w)
		}
	}
	// Other rules.
	n, changed, err := curator.New(again, rs2, 0, zerolog.Nop()).ClassifyPending(ctx)
	if err != nil || n != 8 || changed == 0 {
		t.Fatalf("new rules: %d classified, %d changed, %v; want 8 and some changed", n, changed, err)
	}
	want, got := storedDecisions(t, fresh), storedDecisions(t, again)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: re-classified %+v, fresh %+v", k, got[k], w)
		}
	}
	// The fixture means something: a score changes alone, a close call goes.
	if b, w := before["guid:a/1"], want["guid:a/1"]; b.section != w.section || b.score == w.score {
		t.Errorf("a: %+v, then %+v; want the same section, another score", b, w)
	}
	if b, w := before["guid:c/1"], want["guid:c/1"]; b.section != w.section || !b.review || w.review {
		t.Errorf("c: %+v, then %+v; want the same section, no longer a close call", b, w)
	}
}

// TestDecideOnSaveRulesChanged: items decided under rules that were
// replaced before their commit wake the curator, whose pass for the new
// rules may have run before they were there to see.
func TestDecideOnSaveRulesChanged(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	rs := decideRules(t)
	c := curator.New(db, rs, 0, zerolog.Nop())
	db.SetDecider(func(items []feeds.Item) (string, []feeds.Classification) {
		if len(items) == 0 {
			return "new rules", nil // the version in force at the commit
		}
		return c.Decide(items)
	})
	mustSave(t, db, syncOne(t, db, 1)[0], newItem("a", testNow))
	select {
	case <-db.ItemsQueued():
	default:
		t.Error("an item decided under replaced rules, and ItemsQueued not signalled")
	}
	if left, err := db.ItemsToClassify(ctx, rs.Version(), 0, 10); err != nil || len(left) != 0 {
		t.Errorf("%d items wait under the rules that decided them (%v), want none", len(left), err)
	}
}
