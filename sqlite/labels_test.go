package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

var shanghai = time.FixedZone("CST", 8*3600)

// pastIssue is the issue of 2016-W25, published on Friday 2016-07-01.
func pastIssue() sqlite.ArchiveIssue {
	w := feeds.Week{Year: 2016, Week: 25}
	is := sqlite.ArchiveIssue{
		Week:  w,
		Date:  time.Date(2016, 7, 1, 16, 38, 20, 0, shanghai),
		Start: w.Start(shanghai),
		Entries: []sqlite.ArchiveEntry{
			{Section: "containers", Title: "浅谈Docker安全：技术、生态和最新的安全特性", Summary: "本文从容器安全、镜像安全等方面介绍。",
				Link: "https://mp.weixin.qq.com/s?__biz=1&mid=1", CanonicalURL: "//mp.weixin.qq.com/s?__biz=1&mid=1", TitleKey: "浅谈docker安全技术生态和最新的安全特性"},
			{Section: "industry", Title: "有消息称：微软试图斥资40亿美金收购Docker", Summary: "传闻微软准备收购Docker。",
				Link: "https://mp.weixin.qq.com/s?__biz=2&mid=2", CanonicalURL: "//mp.weixin.qq.com/s?__biz=2&mid=2", TitleKey: "有消息称微软试图斥资40亿美金收购docker"},
			// The same article again, in another section: stored once.
			{Section: "misc", Title: "有消息称：微软试图斥资40亿美金收购Docker",
				Link: "https://mp.weixin.qq.com/s?__biz=2&mid=2", CanonicalURL: "//mp.weixin.qq.com/s?__biz=2&mid=2", TitleKey: "有消息称微软试图斥资40亿美金收购docker"},
			{Section: "misc", Title: "Serverless架构综述", Summary: "BaaS与FaaS。"}, // no link, short title
		},
	}
	for i := range is.Entries {
		e := &is.Entries[i]
		it := feeds.Item{Title: e.Title, Link: e.Link}
		e.CanonicalURL, e.TitleKey = curator.Fingerprint(&it)
	}
	return is
}

func TestImportIssue(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	is := pastIssue()
	st, err := db.ImportIssue(ctx, is, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if st != (sqlite.ImportStats{New: 3, Unchanged: 1}) {
		t.Errorf("first import: %+v, want 3 new and 1 unchanged (the repeated article)", st)
	}
	v1, _ := db.Version(ctx)
	st, err = db.ImportIssue(ctx, is, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st != (sqlite.ImportStats{Unchanged: 4}) {
		t.Errorf("second import: %+v, want everything unchanged", st)
	}

	// The digest of the week rebuilds the issue.
	from, to := is.Week.Start(shanghai), is.Week.Next().Start(shanghai)
	for sec, want := range map[string][]string{
		"containers": {"浅谈Docker安全：技术、生态和最新的安全特性"},
		"industry":   {"有消息称：微软试图斥资40亿美金收购Docker"},
		"misc":       {"Serverless架构综述"},
	} {
		items, err := db.DigestItems(ctx, sec, from, to, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != len(want) || items[0].Title != want[0] || items[0].SourceName != sqlite.ArchiveName {
			t.Errorf("digest items of %s: %+v, want %q from the archive", sec, items, want)
		}
	}
	// The archive is never polled and never pruned.
	srcs, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 0 {
		t.Errorf("sources to poll: %+v, want none", srcs)
	}
	db.SetMaxAge(24 * time.Hour)
	if ps, err := db.Prune(ctx, testNow, 1); err != nil || ps.ByAge+ps.OverCap != 0 {
		t.Errorf("prune: %+v %v: archive items pruned", ps, err)
	}

	ex, err := db.Examples(ctx, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 3 {
		t.Fatalf("examples: %+v, want 3", ex)
	}
	for i, want := range []string{"containers", "industry", "misc"} {
		e := ex[i]
		if e.Section != want || e.Origin != sqlite.OriginImported || e.Issue != is.Week || e.ItemID == 0 || e.Source != "" {
			t.Errorf("example %d: %+v, want %s, imported, of %s, with its item", i, e, want, is.Week)
		}
	}
	if ex[0].Summary != "本文从容器安全、镜像安全等方面介绍。" {
		t.Errorf("example summary %q", ex[0].Summary)
	}

	// The editor corrects an item of the issue: its label follows.
	if err := db.SetCuration(ctx, ex[2].ItemID, feeds.Curation{Section: "paas"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCuration(ctx, ex[1].ItemID, feeds.Curation{Section: "industry", Hidden: true}); err != nil {
		t.Fatal(err)
	}
	ex, _ = db.Examples(ctx, shanghai)
	if len(ex) != 3 || ex[2].Section != "paas" || ex[2].Origin != sqlite.OriginImported || !ex[1].Hidden() {
		t.Errorf("examples after the editor's corrections: %+v", ex)
	}
	if err := db.SetCuration(ctx, ex[2].ItemID, feeds.Curation{Section: "misc"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetCuration(ctx, ex[1].ItemID, feeds.Curation{Section: "industry"}); err != nil {
		t.Fatal(err)
	}

	// A corrected issue updates what changed.
	is.Entries[0].Section = "paas"
	is.Entries[3].Summary = "BaaS与FaaS，以及与PaaS的比较。"
	st, err = db.ImportIssue(ctx, is, testNow.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st != (sqlite.ImportStats{Updated: 2, Unchanged: 2}) {
		t.Errorf("corrected import: %+v, want 2 updated", st)
	}
	ex, _ = db.Examples(ctx, shanghai)
	if len(ex) != 3 || ex[0].Section != "paas" || ex[2].Summary != "BaaS与FaaS，以及与PaaS的比较。" {
		t.Errorf("examples after the correction: %+v", ex)
	}
	if v2, _ := db.Version(ctx); v2 == v1 {
		t.Errorf("version %d unchanged by the corrected import", v2)
	}
}

// TestArchiveSurvivesClassification: the curator classifies archive items
// like any other, but their section stays the editors'; a feed item that
// brings an article back is a duplicate of the issue's, and FeaturedBefore
// names the issue.
func TestArchiveSurvivesClassification(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	is := pastIssue()
	if _, err := db.ImportIssue(ctx, is, testNow); err != nil {
		t.Fatal(err)
	}
	src := syncOne(t, db, 1)[0]
	back := newItem("back", testNow.Add(-time.Hour))
	back.Link = "https://mp.weixin.qq.com/s?__biz=2&mid=2"
	mustSave(t, db, src, back)

	items, err := db.ItemsToClassify(ctx, "v1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 4 {
		t.Fatalf("%d items to classify, want 3 archive items and 1 feed item", len(items))
	}
	var cs []feeds.Classification
	for _, it := range items {
		c := feeds.Classification{ItemID: it.ID, Section: "misc", Score: 1}
		c.CanonicalURL, c.TitleKey = curator.Fingerprint(&it)
		cs = append(cs, c)
	}
	if _, err := db.SetSections(ctx, "v1", cs); err != nil {
		t.Fatal(err)
	}
	ids := mustItemIDs(t, db)
	for _, e := range is.Entries[:2] {
		id := ids["issue:2016-W25:url:"+e.CanonicalURL]
		got, err := db.Item(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Section != e.Section || got.Excluded {
			t.Errorf("archive item %q: section %s excluded %v after classification, want %s", e.Title, got.Section, got.Excluded, e.Section)
		}
	}
	if of, err := db.DuplicateOf(ctx, ids["guid:back"]); err != nil || of == 0 {
		t.Errorf("the returning article is a duplicate of %d (%v), want of the archive's item", of, err)
	}

	// Featured: by canonical URL, by title key; never in the issue's own
	// week or later.
	next := is.Week.Next().Start(shanghai)
	f, err := db.FeaturedBefore(ctx, "//mp.weixin.qq.com/s?__biz=2&mid=2", "", next.AddDate(1, 0, 0), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if f.Week != is.Week || !f.Archive || f.Section != "industry" {
		t.Errorf("featured: %+v, want the industry item of %s in the archive", f, is.Week)
	}
	f, err = db.FeaturedBefore(ctx, "", "浅谈docker安全技术生态和最新的安全特性", next, shanghai)
	if err != nil || f.Week != is.Week || f.Section != "containers" {
		t.Errorf("featured by title key: %+v %v", f, err)
	}
	if _, err := db.FeaturedBefore(ctx, "", "浅谈docker安全技术生态和最新的安全特性", next.AddDate(2, 0, 0), shanghai); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("a title key two years on: %v, want not found", err)
	}
	if _, err := db.FeaturedBefore(ctx, "//mp.weixin.qq.com/s?__biz=2&mid=2", "", is.Week.Start(shanghai), shanghai); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("featured before the issue's own week: %v, want not found", err)
	}
	if _, err := db.FeaturedBefore(ctx, "//example.com/never", "", next, shanghai); !errors.Is(err, feeds.ErrNotFound) {
		t.Errorf("an article never featured: %v, want not found", err)
	}
}

// TestCurationLabels: every move and hide is a label, a reset withdraws it,
// and a label outlives the pruning of its item.
func TestCurationLabels(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := syncOne(t, db, 1)[0]
	mustSave(t, db, src, newItem("a", testNow.Add(-time.Hour)), newItem("b", testNow.Add(-2*time.Hour)),
		newItem("c", testNow.AddDate(0, 0, -40)))
	ids := mustItemIDs(t, db)
	var cs []feeds.Classification
	for _, k := range []string{"guid:a", "guid:b", "guid:c"} {
		cs = append(cs, feeds.Classification{ItemID: ids[k], Section: "misc"})
	}
	if _, err := db.SetSections(ctx, "v1", cs); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		key string
		c   feeds.Curation
	}{
		{"guid:a", feeds.Curation{Section: "paas"}},
		{"guid:a", feeds.Curation{Section: "industry"}}, // moved again: the last move counts
		{"guid:b", feeds.Curation{Hidden: true}},
		{"guid:b", feeds.Curation{Hidden: true, Pinned: true}}, // pinning is no new label
		{"guid:c", feeds.Curation{Section: "containers"}},
		{"guid:c", feeds.Curation{}}, // reset: withdrawn
		{"guid:c", feeds.Curation{Section: "paas"}},
	} {
		if err := db.SetCuration(ctx, ids[step.key], step.c); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, wantC int64) {
		t.Helper()
		ex, err := db.Examples(ctx, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]sqlite.Example{}
		for _, e := range ex {
			got[e.Title] = e
		}
		if len(ex) != 3 {
			t.Fatalf("%s: examples %+v, want 3", when, ex)
		}
		if e := got["Title a"]; e.Origin != sqlite.OriginMoved || e.Section != "industry" || e.Source != "s0" || e.Summary != "Summary a" || e.Issue != feeds.WeekOf(testNow.Add(-time.Hour)) {
			t.Errorf("%s: label of a: %+v, want moved to industry", when, e)
		}
		if e := got["Title b"]; e.Origin != sqlite.OriginHidden || !e.Hidden() || e.Section != "misc" {
			t.Errorf("%s: label of b: %+v, want hidden from misc", when, e)
		}
		if e := got["Title c"]; e.Origin != sqlite.OriginMoved || e.Section != "paas" || e.ItemID != wantC {
			t.Errorf("%s: label of c: %+v, want moved to paas, item %d", when, e, wantC)
		}
	}
	check("after curation", ids["guid:c"])
	v1, err := db.LabelsVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetCuration(ctx, ids["guid:a"], feeds.Curation{Section: "misc"}); err != nil {
		t.Fatal(err)
	}
	if v2, _ := db.LabelsVersion(ctx); v2 == v1 {
		t.Errorf("labels version %s unchanged by a move", v2)
	}
	if err := db.SetCuration(ctx, ids["guid:a"], feeds.Curation{Section: "industry"}); err != nil {
		t.Fatal(err)
	}
	// c is 40 days old and not pinned: pruned, its label kept.
	db.SetMaxAge(30 * 24 * time.Hour)
	if ps, err := db.Prune(ctx, testNow, 0); err != nil || ps.ByAge != 1 {
		t.Fatalf("prune: %+v %v, want c pruned", ps, err)
	}
	check("after pruning", 0)
}

func TestImportLabels(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	entries := []sqlite.LabelledEntry{
		{Title: "SUSE to Acquire Rancher Labs", Section: "industry", Source: "TechCrunch"},
		{Title: "Docker镜像瘦身实践", Summary: "多阶段构建。", Section: "containers"},
	}
	for round, want := range []sqlite.ImportStats{{New: 2}, {Unchanged: 2}} {
		st, err := db.ImportLabels(ctx, entries, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if st != want {
			t.Errorf("round %d: %+v, want %+v", round, st, want)
		}
	}
	entries[1].Section = "paas"
	if st, err := db.ImportLabels(ctx, entries, testNow); err != nil || st != (sqlite.ImportStats{Updated: 1, Unchanged: 1}) {
		t.Errorf("changed label: %+v %v", st, err)
	}
	ex, err := db.Examples(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 || ex[0].Source != "TechCrunch" || ex[1].Section != "paas" || ex[1].ItemID != 0 || ex[1].Issue != (feeds.Week{}) {
		t.Errorf("examples: %+v", ex)
	}
}

func BenchmarkFeaturedBefore(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b)
	var is sqlite.ArchiveIssue
	for w := 1; w <= 50; w++ {
		is = sqlite.ArchiveIssue{Week: feeds.Week{Year: 2016, Week: w}, Date: time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w)}
		is.Start = is.Week.Start(time.UTC)
		for i := 0; i < 20; i++ {
			u := fmt.Sprintf("//example.com/%d/%d", w, i)
			is.Entries = append(is.Entries, sqlite.ArchiveEntry{Section: "misc", Title: u, Link: "https:" + u, CanonicalURL: u})
		}
		if _, err := db.ImportIssue(ctx, is, testNow); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.FeaturedBefore(ctx, fmt.Sprintf("//example.com/%d/%d", i%50+1, i%20), "", testNow, nil); err != nil {
			b.Fatal(err)
		}
	}
}
