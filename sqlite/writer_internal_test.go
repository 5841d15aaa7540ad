package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
)

// TestSaveQueryPlans checks that SaveFetch's and SetSections' lookups
// probe indexes: their cost must not grow with the history of a source or
// of the whole store.
func TestSaveQueryPlans(t *testing.T) {
	db := openTestDB(t)
	for _, q := range []struct {
		name, query string
		args        []any
	}{
		{"known items of a fetch", lookupQuery, []any{1, `["guid:a","guid:b"]`}},
		{"current sections of classified items", sectionsQuery, []any{`[1,2,3]`}},
	} {
		plan := queryPlan(t, db, q.query, q.args...)
		text := strings.Join(plan, "\n")
		t.Logf("%s:\n%s", q.name, text)
		for _, line := range plan {
			if strings.HasPrefix(line, "SCAN items") {
				t.Errorf("%s: plan scans items:\n%s", q.name, text)
			}
		}
	}
}

// queryPlan returns the details of EXPLAIN QUERY PLAN for query, a line
// per step.
func queryPlan(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func testSources(t *testing.T, db *DB, n int) []feeds.Source {
	t.Helper()
	in := make([]feeds.Source, n)
	for i := range in {
		in[i] = feeds.Source{Name: fmt.Sprint(i), ConfigURL: fmt.Sprintf("https://example.com/%d", i)}
	}
	out, err := db.SyncSources(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testItem(key string) feeds.Item {
	it := feeds.Item{Key: "guid:" + key, GUID: key, Title: "Title " + key, Link: "https://example.com/" + key}
	it.Hash = feeds.ContentHash(&it)
	return it
}

func newRequest(ctx context.Context, sourceID int64, etag string, items ...feeds.Item) *saveRequest {
	return &saveRequest{ctx: ctx, sourceID: sourceID, st: feeds.FetchState{URL: "u", ETag: etag}, items: items,
		now: time.Now(), done: make(chan saveResult, 1)}
}

func (db *DB) etagOf(t *testing.T, id int64) string {
	t.Helper()
	var etag string
	if err := db.read.QueryRow(`SELECT etag FROM sources WHERE id = ?`, id).Scan(&etag); err != nil {
		t.Fatal(err)
	}
	return etag
}

func (db *DB) itemCount(t *testing.T, id int64) int {
	t.Helper()
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM items WHERE source_id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWriteBatchIsolatesFailures commits a batch in which one fetch fails
// part way through its items and one names no source: each of those gets
// its own error and writes nothing, the others are written.
func TestWriteBatchIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	src := testSources(t, db, 3)
	if _, err := db.write.Exec(`CREATE TRIGGER boom BEFORE INSERT ON items WHEN NEW.title = 'Title boom'
		BEGIN SELECT RAISE(ABORT, 'planted failure'); END`); err != nil {
		t.Fatal(err)
	}
	v0, _ := db.Version(ctx)
	good1 := newRequest(ctx, src[0].ID, "g1", testItem("a"), testItem("b"))
	bad := newRequest(ctx, src[1].ID, "bad", testItem("c"), testItem("boom"))
	unknown := newRequest(ctx, 999, "x", testItem("d"))
	good2 := newRequest(ctx, src[2].ID, "g2", testItem("e"))
	commits := db.writeStats.commits.Load()
	db.writeBatch([]*saveRequest{good1, bad, unknown, good2})

	for _, r := range []*saveRequest{good1, good2} {
		res := <-r.done
		if res.err != nil || res.stats.New != len(r.items) {
			t.Errorf("source %d: %+v, want %d new", r.sourceID, res, len(r.items))
		}
		if got := db.etagOf(t, r.sourceID); got != r.st.ETag {
			t.Errorf("source %d: etag %q, want %q", r.sourceID, got, r.st.ETag)
		}
	}
	if res := <-bad.done; res.err == nil || !strings.Contains(res.err.Error(), "planted failure") {
		t.Errorf("failing fetch: %+v", res)
	}
	if n := db.itemCount(t, src[1].ID); n != 0 || db.etagOf(t, src[1].ID) != "" {
		t.Errorf("failing fetch wrote %d items, etag %q", n, db.etagOf(t, src[1].ID))
	}
	if res := <-unknown.done; !errors.Is(res.err, feeds.ErrNotFound) {
		t.Errorf("unknown source: %+v", res)
	}
	if v, _ := db.Version(ctx); v == v0 {
		t.Error("version unchanged")
	}
	// The batch failed as a whole, then went again one fetch at a time.
	if got := db.writeStats.commits.Load() - commits; got != 2 {
		t.Errorf("%d commits, want 2 (each good fetch alone)", got)
	}
}

// TestWriteBatchCallersGone checks that a fetch whose caller gave up before
// the writer took it is not written.
func TestWriteBatchCallersGone(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	src := testSources(t, db, 3)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	abandoned := newRequest(ctx, src[0].ID, "a", testItem("a"))
	abandoned.state.Store(requestAbandoned)
	late := newRequest(cancelled, src[1].ID, "b", testItem("b"))
	ok := newRequest(ctx, src[2].ID, "c", testItem("c"))
	db.writeBatch([]*saveRequest{abandoned, late, ok})
	select {
	case res := <-abandoned.done:
		t.Errorf("abandoned request answered: %+v", res)
	default:
	}
	if res := <-late.done; !errors.Is(res.err, context.Canceled) {
		t.Errorf("cancelled request: %+v", res)
	}
	if res := <-ok.done; res.err != nil || res.stats.New != 1 {
		t.Errorf("live request: %+v", res)
	}
	for _, s := range src[:2] {
		if n := db.itemCount(t, s.ID); n != 0 {
			t.Errorf("source %d: %d items written for a caller that left", s.ID, n)
		}
	}
}

// TestWriteLoopBatches queues fetches for a writer loop and checks that it
// commits them together.
func TestWriteLoopBatches(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	const n = 20
	src := testSources(t, db, n)
	// A second writer loop, run here, over a queue filled in advance.
	commits, saved := db.writeStats.commits.Load(), db.writeStats.saved.Load()
	w := &writer{queue: make(chan *saveRequest, n), done: make(chan struct{})}
	var reqs []*saveRequest
	for i, s := range src {
		r := newRequest(ctx, s.ID, "e", testItem(fmt.Sprint(i)))
		reqs = append(reqs, r)
		w.queue <- r
	}
	close(w.queue)
	db.writeLoop(w)
	for _, r := range reqs {
		if res := <-r.done; res.err != nil || res.stats.New != 1 {
			t.Errorf("source %d: %+v", r.sourceID, res)
		}
	}
	if c, s := db.writeStats.commits.Load()-commits, db.writeStats.saved.Load()-saved; c != 1 || s != n {
		t.Errorf("%d commits of %d fetches, want 1 of %d", c, s, n)
	}
}
