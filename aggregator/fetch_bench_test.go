package aggregator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/feedcurator/feedcurator/aggregator"
)

// BenchmarkFetch fetches a feed from a local server: a changed document,
// parsed whole, and a 304.
func BenchmarkFetch(b *testing.B) {
	doc, err := os.ReadFile("../feeds/testdata/rss2-en.xml")
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write(doc)
	}))
	defer srv.Close()
	f := aggregator.NewFetcher(nil, aggregator.Options{})
	ctx := context.Background()
	for _, c := range []struct {
		name string
		etag string
	}{{"200", ""}, {"304", `"v1"`}} {
		b.Run(c.name, func(b *testing.B) {
			src := source(1, srv.URL)
			src.State.ETag = c.etag
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Fetch(ctx, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
