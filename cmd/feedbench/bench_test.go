package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// BenchmarkParse measures feeds.Parse on the farm's documents, the largest
// cost of a first poll.
func BenchmarkParse(b *testing.B) {
	f := &localFarm{cfg: farmConfig{Feeds: 2, Items: 20, Start: time.Now()}, paras: paragraphs(256, 360, 42)}
	for _, tc := range []struct {
		name string
		i    int
	}{{"rss", 0}, {"atom", 1}} {
		var doc bytes.Buffer
		f.render(&doc, tc.i, 0)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(doc.Len()))
			for b.Loop() {
				feed, err := feeds.ParseBytes(doc.Bytes(), "http://127.0.0.1/f", "application/xml")
				if err != nil || len(feed.Items) != 20 {
					b.Fatal(err, len(feed.Items))
				}
			}
		})
	}
}

// BenchmarkClassifyStored measures the curator's pass on a store of farm
// items: reading the items to classify, classifying them with the example
// configuration's rules and storing the decisions, duplicate checks
// included. Each round queues every item again, as retraining the learned
// part does (Requeue), and finds them decided alike. (New items are
// decided as they are stored: feedbench measures that.)
func BenchmarkClassifyStored(b *testing.B) {
	const nFeeds, nItems = 500, 20
	ctx := context.Background()
	db, c := openClassifyBench(b, nFeeds, nItems)
	defer db.Close()
	if n, _, err := c.ClassifyPending(ctx); err != nil || n != nFeeds*nItems {
		b.Fatalf("first pass: %d of %d: %v", n, nFeeds*nItems, err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if _, err := db.Requeue(ctx, time.Unix(0, 0)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n, _, err := c.ClassifyPending(ctx)
		if err != nil || n != nFeeds*nItems {
			b.Fatalf("classified %d of %d: %v", n, nFeeds*nItems, err)
		}
	}
	b.ReportMetric(float64(b.N*nFeeds*nItems)/b.Elapsed().Seconds(), "items/s")
}

// openClassifyBench stores nFeeds farm feeds of nItems items each in a new
// database and returns it with a curator of the example rules.
func openClassifyBench(b *testing.B, nFeeds, nItems int) (*sqlite.DB, *curator.Curator) {
	b.Helper()
	ctx := context.Background()
	cfg, err := config.Load("../../config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	rs, err := cfg.Ruleset()
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	srcs := make([]feeds.Source, nFeeds)
	for i := range srcs {
		srcs[i] = feeds.Source{Name: fmt.Sprintf("Bench feed %d", i), ConfigURL: fmt.Sprintf("http://127.0.0.1:1/%d.xml", i)}
	}
	if srcs, err = db.SyncSources(ctx, srcs); err != nil {
		b.Fatal(err)
	}
	f := &localFarm{cfg: farmConfig{Feeds: nFeeds, Items: nItems, Start: time.Now()}, paras: paragraphs(256, 360, 42)}
	var doc bytes.Buffer
	for i, src := range srcs {
		doc.Reset()
		f.render(&doc, i, 0)
		feed, err := feeds.ParseBytes(doc.Bytes(), src.ConfigURL, "application/xml")
		if err != nil {
			b.Fatal(err)
		}
		st := feeds.FetchState{URL: src.ConfigURL, LastFetch: time.Now(), LastSuccess: time.Now(), LastStatus: 200}
		if _, err := db.SaveFetch(ctx, src.ID, st, feed.Items, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	return db, curator.New(db, rs, 0, zerolog.Nop())
}
