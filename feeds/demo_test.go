package feeds_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoFeeds checks the feeds bundled for `feedcurator demo`: each one
// parses, has 8 to 12 complete items, and dates them in the weeks before
// 2026-11-25.
func TestDemoFeeds(t *testing.T) {
	dir := filepath.Join("..", "demo", "feeds")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, path := range files {
		ext := filepath.Ext(path)
		if ext != ".xml" && ext != ".atom" {
			continue
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ct := "application/rss+xml; charset=utf-8"
			if ext == ".atom" {
				ct = "application/atom+xml; charset=utf-8"
			}
			f, err := parseBytes(t, data, "http://127.0.0.1:8080/feeds/"+filepath.Base(path), ct)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkInvariants(t, f)
			if f.Title == "" || !strings.HasPrefix(f.Link, "https://") {
				t.Errorf("feed title %q link %q", f.Title, f.Link)
			}
			if len(f.Items) < 8 || len(f.Items) > 12 {
				t.Errorf("%d items, want 8 to 12", len(f.Items))
			}
			from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
			to := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
			for _, it := range f.Items {
				if it.Title == "" || it.Summary == "" || it.Author == "" || it.GUID == "" {
					t.Errorf("%q: title, summary, author and guid must all be set", it.Title)
				}
				if !strings.HasPrefix(it.Link, "https://") {
					t.Errorf("%q: link %q is not https", it.Title, it.Link)
				}
				if it.Published.Before(from) || !it.Published.Before(to) {
					t.Errorf("%q: published %s, want within [%s, %s)", it.Title, it.Published.Format(time.RFC3339), from.Format(time.DateOnly), to.Format(time.DateOnly))
				}
				if len(it.Categories) == 0 {
					t.Errorf("%q: no categories", it.Title)
				}
			}
		})
	}
	if n == 0 {
		t.Skipf("no demo feeds in %s", dir)
	}
	if n != 5 {
		t.Errorf("%d demo feeds, want 5", n)
	}
}
