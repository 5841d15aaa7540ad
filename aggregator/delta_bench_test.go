package aggregator

import (
	"fmt"
	"sort"
	"testing"
)

// BenchmarkSplitItems splits the sample feeds, as every fetch of a changed
// document does before its delta parse.
func BenchmarkSplitItems(b *testing.B) {
	docs := sampleDocs(b)
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	sort.Strings(names)
	var all [][]byte
	size := 0
	for _, n := range names {
		all = append(all, docs[n])
		size += len(docs[n])
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range all {
			splitItems(d)
		}
	}
}

// BenchmarkDeltaParse parses a 100-item feed whose first item changed since
// the digest of the previous fetch, the common poll.
func BenchmarkDeltaParse(b *testing.B) {
	items := make([]string, 100)
	for i := range items {
		items[i] = fmt.Sprintf("g%d|story %d", i, i)
	}
	old := rssItems("T", items...)
	items[0] = "new|a new story"
	cur := rssItems("T", items...)
	var d deltaParser
	if _, err := d.parse(old, testURL, ""); err != nil || d.next == nil {
		b.Fatal("no digest", err)
	}
	prev := d.next
	b.SetBytes(int64(len(cur)))
	b.ReportAllocs()
	for b.Loop() {
		d.prev = prev
		if _, err := d.parse(cur, testURL, ""); err != nil {
			b.Fatal(err)
		}
	}
}
