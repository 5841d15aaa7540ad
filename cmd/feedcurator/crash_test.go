package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/sqlite"
)

// crashFarm serves n RSS feeds of perFeed items each, with ETags.
func crashFarm(t *testing.T, n, perFeed int) *httptest.Server {
	bodies := make([][]byte, n)
	for i := range bodies {
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %d</title><link>https://f%d.example/</link>`, i, i)
		for k := 0; k < perFeed; k++ {
			fmt.Fprintf(&b, `<item><title>Kubernetes 集群实践 %d-%d</title><link>https://f%d.example/p/%d</link><guid>f%d-%d</guid><description>容器编排与 Docker 运维，第 %d 篇。%s</description><pubDate>%s</pubDate></item>`,
				i, k, i, k, i, k, k, strings.Repeat("正文。", 40), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(k)*time.Hour).Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		bodies[i] = []byte(b.String())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/feed/%d.xml", &i); err != nil || i < 0 || i >= n {
			http.NotFound(w, r)
			return
		}
		time.Sleep(30 * time.Millisecond) // a slow farm keeps the ingest going across the kills
		etag := fmt.Sprintf(`"f%d"`, i)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(bodies[i])
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCrashSafety kills the daemon with SIGKILL at random moments during a
// heavy first ingest, 20 times, then lets it finish. The database must pass
// integrity_check, hold no duplicate, and hold every item of every source
// whose fetch state (its ETag) was committed: state and items commit together.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the daemon 20 times")
	}
	const nFeeds, perFeed, kills = 1000, 20, 20
	bin := buildBinary(t)
	farm := crashFarm(t, nFeeds, perFeed)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "crash.db")
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "database: %s\nlisten: 127.0.0.1:0\nlog_level: warn\n", dbPath)
	cfg.WriteString("fetch:\n  interval: 1h\n  workers: 16\n  per_host: 16\n  timeout: 10s\n")
	cfg.WriteString("curator:\n  interval: 20ms\n")
	cfg.WriteString("sources:\n")
	for i := 0; i < nFeeds; i++ {
		fmt.Fprintf(&cfg, "  - name: feed %d\n    url: %s/feed/%d.xml\n", i, farm.URL, i)
	}
	cfg.WriteString("sections:\n  - id: paas\n    title: PaaS\n    rules:\n      - keywords: [kubernetes]\n  - id: misc\n    title: Misc\n")
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	var logs *syncBuffer // the run under way's
	t.Cleanup(func() {
		if t.Failed() && logs != nil {
			t.Logf("log of the last run:\n%s", logs.String())
		}
	})
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "--config", cfgPath)
		logs = &syncBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	var progress []int
	for i := 0; i < kills; i++ {
		cmd := start()
		time.Sleep(time.Duration(50+rng.IntN(300)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		progress = append(progress, checkCrashInvariants(t, dbPath, perFeed, false))
	}
	t.Logf("sources committed after each kill: %v", progress)

	// A last run finishes the job: polling resumes where it stopped. The
	// deadline is generous (a loaded machine, -race): it only ends a run
	// that would never finish, and says how far it got.
	cmd := start()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		done, unclassified, err := crashProgress(dbPath)
		if err == nil && done == nFeeds && unclassified == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("polling did not resume and finish within 5 minutes: %d of %d sources fetched, %d items unclassified (%v)",
				done, nFeeds, unclassified, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	checkCrashInvariants(t, dbPath, perFeed, true)
}

// crashProgress reads how many sources have a committed fetch state and how
// many items wait for the curator, cheaply (no integrity check).
func crashProgress(dbPath string) (fetched, unclassified int, err error) {
	raw, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)&mode=ro")
	if err != nil {
		return 0, 0, err
	}
	defer raw.Close()
	err = raw.QueryRow(`SELECT (SELECT count(*) FROM sources WHERE etag <> ''),
		(SELECT count(*) FROM items WHERE section = '')`).Scan(&fetched, &unclassified)
	return fetched, unclassified, err
}

// checkCrashInvariants returns how many sources have committed fetch state,
// failing the test if any of them lacks items or the file is damaged. A
// kill before the daemon created the file leaves no file: nothing
// committed.
func checkCrashInvariants(t *testing.T, dbPath string, perFeed int, final bool) int {
	t.Helper()
	if _, err := os.Stat(dbPath); os.IsNotExist(err) {
		return 0
	}
	raw, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// The full check once at the end; the quick one (no index
	// cross-checks) after each kill.
	check := "PRAGMA quick_check"
	if final {
		check = "PRAGMA integrity_check"
	}
	var ic string
	if err := raw.QueryRow(check).Scan(&ic); err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0
		}
		t.Fatalf("%s: %v", check, err)
	}
	if ic != "ok" {
		t.Fatalf("%s: %s", check, ic)
	}
	rows, err := raw.Query(`SELECT s.name, s.etag, count(i.id), count(DISTINCT i.key)
		FROM sources s LEFT JOIN items i ON i.source_id = s.id GROUP BY s.id`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0
		}
		t.Fatal(err)
	}
	defer rows.Close()
	committed := 0
	for rows.Next() {
		var name, etag string
		var n, distinct int
		if err := rows.Scan(&name, &etag, &n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != distinct {
			t.Fatalf("%s: %d items but %d distinct keys", name, n, distinct)
		}
		if etag != "" {
			committed++
			if n != perFeed {
				t.Fatalf("%s: ETag %s stored with %d of %d items", name, etag, n, perFeed)
			}
		}
	}
	if final {
		st, err := sqliteStats(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		if st.Unclassified != 0 {
			t.Errorf("%d items left unclassified", st.Unclassified)
		}
	}
	return committed
}

func sqliteStats(path string) (sqlite.Stats, error) {
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return sqlite.Stats{}, err
	}
	defer db.Close()
	return db.Stats(context.Background())
}
