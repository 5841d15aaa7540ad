package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/feeds"
)

// TestDiskFull fills the database to its cap: the fetch that does not fit
// fails whole (neither its state nor any item is kept), the file stays
// sound, and writes resume once there is room.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := syncOne(t, db, 1)[0]
	mustSave(t, db, src, newItem("first", testNow))
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetMaxSize(ctx, st.DatabaseBytes); err != nil {
		t.Fatal(err)
	}
	var big []feeds.Item
	for i := 0; i < 200; i++ {
		it := newItem(fmt.Sprint("big", i), testNow)
		it.Content = strings.Repeat("x", 4000)
		it.Hash = feeds.ContentHash(&it)
		big = append(big, it)
	}
	state := feeds.FetchState{URL: "https://example.com/feed/0", ETag: `"new"`, LastSuccess: testNow}
	_, err = db.SaveFetch(ctx, src, state, big, testNow)
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("save past the cap: %v, want a full database", err)
	}
	srcs, _ := db.Sources(ctx)
	if srcs[0].State.ETag == `"new"` || len(mustItemIDs(t, db)) != 1 {
		t.Fatalf("a failed save left its state (%q) or items (%d)", srcs[0].State.ETag, len(mustItemIDs(t, db)))
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("reads stopped: %v", err)
	}
	var ic string
	raw := openRaw(t, db.Path())
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		t.Fatalf("integrity_check: %s %v", ic, err)
	}
	if err := db.SetMaxSize(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if stats, err := db.SaveFetch(ctx, src, state, big, testNow); err != nil || stats.New != 200 {
		t.Fatalf("after lifting the cap: %+v %v", stats, err)
	}
}
