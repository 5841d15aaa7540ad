package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/feedcurator/feedcurator/sqlite"
)

// TestKeepValue: the first value stored under a key stays, across calls
// and across reopening the file; the version counter is not a key.
func TestKeepValue(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := db.KeepValue(ctx, "tag_authority", "127.0.0.1,2026"); err != nil || v != "127.0.0.1,2026" {
		t.Fatalf("first KeepValue: %q, %v", v, err)
	}
	if v, err := db.KeepValue(ctx, "tag_authority", "news.example.com,2026"); err != nil || v != "127.0.0.1,2026" {
		t.Fatalf("second KeepValue: %q, %v; want the first value", v, err)
	}
	if _, err := db.KeepValue(ctx, "version", "x"); err == nil {
		t.Error("KeepValue accepted the version key")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.KeepValue(ctx, "tag_authority", "other,2026"); err != nil || v != "127.0.0.1,2026" {
		t.Fatalf("after reopening: %q, %v; want the first value", v, err)
	}
}
