package publisher_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/publisher"
	"github.com/feedcurator/feedcurator/sqlite"
)

// The real store satisfies the publisher's and the digest's interfaces, and
// the builder the publisher's Digest.
var (
	_ publisher.Store  = (*sqlite.DB)(nil)
	_ digest.Store     = (*sqlite.DB)(nil)
	_ publisher.Digest = (*digest.Builder)(nil)
)

// TestWithSQLite runs the publisher and the digest over a real database:
// the pages of a feed, walked by rel="next", hold every published item once
// (ties in sort time included), and the digest holds the week's items.
func TestWithSQLite(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srcs, err := db.SyncSources(ctx, []feeds.Source{
		{Name: "InfoQ 中文", ConfigURL: "https://www.infoq.cn/feed"},
		{Name: "Kubernetes Blog", ConfigURL: "https://kubernetes.io/feed.xml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 25 items over 2016-W26 in Shanghai, pairs sharing a date.
	start := time.Date(2016, 6, 27, 8, 0, 0, 0, shanghai)
	var items [2][]feeds.Item
	for i := 0; i < 25; i++ {
		at := start.Add(time.Duration(i/2) * 12 * time.Hour)
		it := feeds.Item{
			GUID: fmt.Sprintf("g%d", i), Link: fmt.Sprintf("https://example.cn/%d", i),
			Title: fmt.Sprintf("第%d篇：容器与编排", i), Summary: fmt.Sprintf("<p>第%d篇的摘要。后面还有更多内容。</p>", i),
			Published: at,
		}
		items[i%2] = append(items[i%2], it)
	}
	fetchedAt := time.Date(2016, 7, 4, 0, 0, 0, 0, time.UTC)
	for i, s := range srcs {
		if _, err := db.SaveFetch(ctx, s.ID, feeds.FetchState{URL: s.ConfigURL, LastSuccess: fetchedAt}, items[i], fetchedAt); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := db.ItemsToClassify(ctx, "v1", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var cs []feeds.Classification
	for i, it := range pending {
		cs = append(cs, feeds.Classification{ItemID: it.ID, Section: testSections[i%4].ID, Score: float64(i % 3)})
	}
	if _, err := db.SetSections(ctx, "v1", cs); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	do := digestOptions()
	o := publisher.Options{
		BaseURL: base, Title: "一周业内技术动态", Lang: "zh-CN", Items: 4, Sections: testSections,
		Now: func() time.Time { return testNow }, Location: shanghai,
		Digest: digest.New(db, do, zerolog.Nop()),
	}
	p := publisher.New(db, o, zerolog.New(zerolog.NewTestWriter(t)))
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)

	all, err := db.RecentItems(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, it := range all {
		want = append(want, it.Title)
	}
	var got []string
	next := base + "/feeds/all.atom"
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		d := parseAtom(t, mustGet(t, next))
		for _, e := range d.Entries {
			got = append(got, e.Title)
		}
		next = d.link("next")
	}
	if !slices.Equal(got, want) || len(want) != 25 {
		t.Errorf("pages hold %d titles %q\nwant %d %q", len(got), got, len(want), want)
	}

	d := parseAtom(t, mustGet(t, base+"/feeds/digest.atom"))
	if len(d.Entries) != 1 || d.Entries[0].Title != "【20160704】一周业内技术动态" {
		t.Fatalf("digest feed %+v", d.Entries)
	}
	b := digest.New(db, do, zerolog.Nop())
	is, err := b.Build(ctx, feeds.Week{Year: 2016, Week: 26})
	if err != nil {
		t.Fatal(err)
	}
	if is.Len() != 25 || len(is.Sections) != 4 {
		t.Errorf("issue of 2016-W26: %d items in %d sections", is.Len(), len(is.Sections))
	}
	for _, s := range is.Sections {
		for i, e := range s.Items {
			if e.Summary != strings.SplitN(e.Title, "：", 2)[0]+"的摘要。后面还有更多内容。" {
				t.Errorf("%s: summary %q", e.Title, e.Summary)
			}
			if i > 0 && e.Item.Score > s.Items[i-1].Item.Score {
				t.Errorf("section %s: %q (score %v) after a lower score", s.ID, e.Title, e.Item.Score)
			}
		}
	}
	if md := mustGet(t, base+"/digest/2016-W26.md"); string(md) != string(b.Markdown(is)) {
		t.Error("served Markdown differs from Build's")
	}
}
