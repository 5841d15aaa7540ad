package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// MustOpenDB opens a new database in a temporary folder, closed when the
// test ends.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// openRaw opens the file behind db directly, to inspect it or to plant
// faults that the API cannot produce.
func openRaw(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

func pragma(tb testing.TB, raw *sql.DB, name string) string {
	tb.Helper()
	var v string
	if err := raw.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// mustSync makes the sources named in urls the configured ones, each named
// after its URL's last part.
func mustSync(tb testing.TB, db *sqlite.DB, urls ...string) []feeds.Source {
	tb.Helper()
	in := make([]feeds.Source, len(urls))
	for i, u := range urls {
		in[i] = feeds.Source{Name: u[strings.LastIndex(u, "/")+1:], ConfigURL: u}
	}
	out, err := db.SyncSources(context.Background(), in)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func mustVersion(tb testing.TB, db *sqlite.DB) int64 {
	tb.Helper()
	v, err := db.Version(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	src := mustSync(t, db, "https://example.com/a")
	if _, err := db.SaveFetch(ctx, src[0].ID, feeds.FetchState{URL: "https://example.com/a", ETag: `"1"`},
		[]feeds.Item{newItem("x", time.Time{})}, testNow); err != nil {
		t.Fatal(err)
	}
	v := mustVersion(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	migs, _ := filepath.Glob(filepath.Join("migrations", "*.sql"))
	latest := strconv.Itoa(len(migs))
	raw := openRaw(t, path)
	if got := pragma(t, raw, "user_version"); got != latest {
		t.Errorf("user_version = %s, want %s", got, latest)
	}
	if got := pragma(t, raw, "auto_vacuum"); got != "2" {
		t.Errorf("auto_vacuum = %s, want 2 (incremental)", got)
	}
	if got := pragma(t, raw, "journal_mode"); got != "wal" {
		t.Errorf("journal_mode = %s, want wal", got)
	}

	// Opening again migrates nothing and keeps the data.
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := pragma(t, raw, "user_version"); got != latest {
		t.Errorf("user_version after reopening = %s, want %s", got, latest)
	}
	if got := mustVersion(t, db); got != v {
		t.Errorf("Version after reopening = %d, want %d", got, v)
	}
	srcs, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 1 || srcs[0].State.ETag != `"1"` {
		t.Errorf("Sources after reopening = %+v", srcs)
	}
}

func TestOpen_MissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	path := filepath.Join(dir, "db")
	_, err := sqlite.Open(context.Background(), path)
	if err == nil {
		t.Fatal("Open succeeded")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %q is not os.ErrNotExist", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the folder: %v", err)
	}
}

func TestOpen_NotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not sqlite\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(context.Background(), path); err == nil {
		db.Close()
		t.Fatal("Open succeeded")
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

func TestOpen_NewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	raw := openRaw(t, path)
	if _, err := raw.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(context.Background(), path); err == nil {
		db.Close()
		t.Fatal("Open of a database from a newer program succeeded")
	}
}

func TestOpen_PathNeedsEscaping(t *testing.T) {
	// These characters mean something in a file: URI.
	path := filepath.Join(t.TempDir(), "a?b#c%20d")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not created at its path: %v", err)
	}
}

func TestOpen_Cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db")); err == nil {
		db.Close()
		t.Fatal("Open with a cancelled context succeeded")
	}
}

// TestVersionCache: Version answers from memory between commits, sees this
// process's commits at once, and another handle's (another process's)
// commits within a moment.
func TestVersionCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src := mustSync(t, db, "https://example.com/a")[0]

	v0 := mustVersion(t, db)
	if v := mustVersion(t, db); v != v0 {
		t.Fatalf("version moved from %d to %d with no commit", v0, v)
	}
	// Our own commit: seen by the very next call, however recent the cache.
	if _, err := db.SaveFetch(ctx, src.ID, feeds.FetchState{URL: src.ConfigURL}, []feeds.Item{newItem("1", testNow)}, testNow); err != nil {
		t.Fatal(err)
	}
	v1 := mustVersion(t, db)
	if v1 == v0 {
		t.Fatal("own commit not reflected at once")
	}

	// Another handle's commit: seen within a second.
	other, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.SaveFetch(ctx, src.ID, feeds.FetchState{URL: src.ConfigURL}, []feeds.Item{newItem("2", testNow)}, testNow); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for mustVersion(t, db) == v1 {
		if time.Now().After(deadline) {
			t.Fatal("another handle's commit not reflected within a second")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMigrateItemText opens a database written by the version-4 schema,
// with the text in the items rows, and finds every item's text after the
// migration that moves it to item_text.
func TestMigrateItemText(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"001_initial.sql", "002_curation.sql", "003_duplicates.sql", "004_gone.sql"} {
		ddl, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(string(ddl)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, q := range []string{
		"PRAGMA user_version = 4",
		`INSERT INTO sources (id, config_url, url, name) VALUES (1, 'https://example.com/a', 'https://example.com/a', 'A')`,
		`INSERT INTO items (id, source_id, key, title, summary, content, fetched_at, sort_time, hash, section, explanation, rules_version)
			VALUES (7, 1, 'guid:7', '标题', '摘要：容器', '<p>正文</p>', 1000, 1000, 'h', 'containers', '{"section":"containers"}', 'v1')`,
		`INSERT INTO items (id, source_id, key, title, fetched_at, sort_time, hash) VALUES (8, 1, 'guid:8', 'no text', 1000, 1000, 'h')`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	it, err := db.Item(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != "标题" || it.Summary != "摘要：容器" || it.Content != "<p>正文</p>" || it.Section != "containers" {
		t.Errorf("item 7 after migration: %+v", it)
	}
	if v, err := db.ItemRulesVersion(ctx, 7); err != nil || v != "v1" {
		t.Errorf("rules version after migration: %q, %v", v, err)
	}
	if it, err := db.Item(ctx, 8); err != nil || it.Summary != "" || it.Content != "" {
		t.Errorf("item 8 after migration: %+v, %v", it, err)
	}
	// Pruning an item deletes its text.
	db.SetMaxAge(time.Hour)
	if st, err := db.Prune(ctx, time.Now(), 0); err != nil || st.ByAge != 2 {
		t.Fatalf("prune: %+v, %v", st, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var texts int
	if err := check.QueryRow("SELECT count(*) FROM item_text").Scan(&texts); err != nil || texts != 0 {
		t.Errorf("item_text rows after pruning every item: %d, %v", texts, err)
	}
}

// TestLockDaemon: a second daemon on a database is refused, with the
// holder named, while readers and admin commands still open it; after the
// holder closes the database the lock is free again.
func TestLockDaemon(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	first, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.LockDaemon(); err != nil {
		t.Fatalf("first daemon: %v", err)
	}
	if err := first.LockDaemon(); err != nil {
		t.Errorf("locking again from the holder: %v", err)
	}

	second, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("an admin command cannot open the locked database: %v", err)
	}
	defer second.Close()
	if _, err := second.Sources(ctx); err != nil {
		t.Errorf("an admin command cannot read the locked database: %v", err)
	}
	err = second.LockDaemon()
	var le *sqlite.LockError
	if !errors.Is(err, sqlite.ErrLocked) || !errors.As(err, &le) {
		t.Fatalf("second daemon: got %v, want a LockError", err)
	}
	if le.PID != os.Getpid() || le.Started.IsZero() || le.Path != sqlite.LockPath(path) {
		t.Errorf("lock error %+v, want pid %d with its start time and path %s", le, os.Getpid(), sqlite.LockPath(path))
	}
	if msg := err.Error(); !strings.Contains(msg, "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error %q does not name the holder's pid", msg)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := second.LockDaemon(); err != nil {
		t.Errorf("after the holder closed, locking failed: %v", err)
	}
}

// TestMigrateRulesDecision: the rules' own decision is kept beside the
// combined one from migration 007 on. Where the stored decision tells it
// (no move, no hide, no fold) it is copied; elsewhere the item is queued
// for the curator to decide again.
func TestMigrateRulesDecision(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"001_initial.sql", "002_curation.sql", "003_duplicates.sql", "004_gone.sql", "005_item_text.sql"} {
		ddl, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(string(ddl)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, q := range []string{
		"PRAGMA user_version = 5",
		`INSERT INTO sources (id, config_url, url, name) VALUES (1, 'https://example.com/a', 'https://example.com/a', 'A')`,
		`INSERT INTO sources (id, config_url, url, name) VALUES (2, 'https://example.com/b', 'https://example.com/b', 'B')`,
		`INSERT INTO items (id, source_id, key, fetched_at, sort_time, hash, section, rules_version)
			VALUES (1, 1, 'guid:1', 1000, 1000, 'h', 'containers', 'v1')`,
		`INSERT INTO items (id, source_id, key, fetched_at, sort_time, hash, section, override_section, rules_version)
			VALUES (2, 1, 'guid:2', 1000, 1000, 'h', 'paas', 'paas', 'v1')`,
		`INSERT INTO items (id, source_id, key, fetched_at, sort_time, hash, section, excluded, dup_of, rules_version)
			VALUES (3, 2, 'guid:3', 1000, 1000, 'h', 'containers', 1, 1, 'v1')`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, want := range map[int64]string{1: "v1", 2: "", 3: ""} {
		if v, err := db.ItemRulesVersion(ctx, id); err != nil || v != want {
			t.Errorf("item %d: rules version %q (%v) after migration, want %q", id, v, err, want)
		}
	}
	// Item 1 was never moved: a reset leaves it where the rules put it.
	if err := db.SetCuration(ctx, 1, feeds.Curation{}); err != nil {
		t.Fatal(err)
	}
	if it, err := db.Item(ctx, 1); err != nil || it.Section != "containers" {
		t.Errorf("item 1 after a reset: section %q (%v), want containers", it.Section, err)
	}
}
