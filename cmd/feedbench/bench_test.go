package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
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
