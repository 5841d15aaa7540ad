package sqlite

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
)

// The size of the store the digest benchmarks select from. The default
// keeps CI fast; -digest.items 2000000 is the size of the README's
// benchmark, e.g.
//
//	go test -run '^$' -bench Digest -benchmem -digest.items 2000000 ./sqlite
var (
	benchItems = flag.Int("digest.items", 100_000, "items in the store of the digest benchmarks")
	benchWeeks = flag.Int("digest.weeks", 20, "weeks the items of the digest benchmarks span")
	benchDir   = flag.String("digest.dir", "", "keep the benchmark store in this folder and reuse it (default: a temporary folder)")
)

// benchNow is the clock of the digest benchmarks: a Friday evening, after
// the issue of the week before is due.
var benchNow = time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)

// digestBenchDB returns a store of n published items spread evenly over
// the weeks before benchNow, in five sections with scores in [0, 100), one
// in 17 excluded, each with a summary of a few hundred bytes. Rows are
// written by SQL in one statement, not through SaveFetch, so that building
// millions of them takes seconds.
func digestBenchDB(b *testing.B, n, weeks int) *DB {
	b.Helper()
	dir := *benchDir
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("digest-%d-%d.db", n, weeks))
	_, statErr := os.Stat(path)
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if statErr == nil {
		return db // built by an earlier run with -digest.dir
	}
	span := int64(weeks) * 7 * 24 * int64(time.Hour/time.Millisecond)
	step := span / int64(n)
	if step == 0 {
		step = 1
	}
	summary := "这是一篇关于容器、编排与云原生实践的文章摘要，用来占据与真实摘要相当的空间。"
	for _, q := range []struct {
		query string
		args  []any
	}{
		{`INSERT INTO sources (id, config_url, url, name) VALUES (1, 'https://example.com/feed', 'https://example.com/feed', '示例')`, nil},
		{`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO items (id, source_id, key, guid, link, title, published, fetched_at, sort_time, hash,
				section, score, excluded, rules_version)
			SELECT i + 1, 1, 'guid:' || i, 'g' || i, 'https://example.com/post/' || i, '第 ' || i || ' 篇文章',
				? - i * ?, ? - i * ?, ? - i * ?, 'h' || i,
				CASE i % 5 WHEN 0 THEN 'a' WHEN 1 THEN 'b' WHEN 2 THEN 'c' WHEN 3 THEN 'd' ELSE 'e' END,
				(i * 7919) % 1000 / 10.0, i % 17 = 0, 'v'
			FROM n`, []any{n, benchNow.UnixMilli(), step, benchNow.UnixMilli(), step, benchNow.UnixMilli(), step}},
		{`INSERT INTO item_text (id, summary) SELECT id, ? || id || ? FROM items`, []any{summary, summary}},
	} {
		if _, err := db.write.ExecContext(ctx, q.query, q.args...); err != nil {
			b.Fatalf("build benchmark store: %v", err)
		}
	}
	return db
}

func benchBuilder(db *DB) *digest.Builder {
	o := digest.DefaultOptions()
	o.Weekday, o.At = time.Friday, 16*time.Hour
	o.Sections = []feeds.Section{{ID: "a", Title: "甲"}, {ID: "b", Title: "乙"}, {ID: "c", Title: "丙"}, {ID: "d", Title: "丁"}, {ID: "e", Title: "戊"}}
	o.PerSection = 10
	o.Now = func() time.Time { return benchNow }
	return digest.New(db, o, zerolog.Nop())
}

// BenchmarkDigestRecent measures what GET /feeds/digest.atom asks of the
// store: the ten newest issues.
func BenchmarkDigestRecent(b *testing.B) {
	db := digestBenchDB(b, *benchItems, *benchWeeks)
	d := benchBuilder(db)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		issues, err := d.Recent(ctx, 10)
		if err != nil {
			b.Fatal(err)
		}
		if len(issues) != 10 {
			b.Fatalf("%d issues, want 10", len(issues))
		}
	}
}

// BenchmarkDigestBuild measures one issue, as GET /digest/{week}.html and
// the digest's Run build it.
func BenchmarkDigestBuild(b *testing.B) {
	db := digestBenchDB(b, *benchItems, *benchWeeks)
	d := benchBuilder(db)
	ctx := context.Background()
	w := d.Latest(benchNow)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		is, err := d.Build(ctx, w)
		if err != nil {
			b.Fatal(err)
		}
		if is.Len() != 50 {
			b.Fatalf("%d items, want 50", is.Len())
		}
	}
}
