package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

func rssDoc(title string, items ...string) string {
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>` + title + `</title><link>https://hostile.example/</link>` +
		strings.Join(items, "") + `</channel></rss>`
}

func rssItem(guid, title, link, date string) string {
	s := "<item><title>" + title + "</title>"
	if guid != "" {
		s += "<guid>" + guid + "</guid>"
	}
	if link != "" {
		s += "<link>" + link + "</link>"
	}
	if date != "" {
		s += "<pubDate>" + date + "</pubDate>"
	}
	return s + "<description>Kubernetes 集群 and Docker 容器.</description></item>"
}

func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostileFarm serves one misbehaving or unusual source per path, and the
// good ones, and counts requests.
func hostileFarm(t *testing.T) (*httptest.Server, func(path string) int) {
	var mu sync.Mutex
	hits := map[string]int{}
	xml := func(ct string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.Write(body)
		}
	}
	var big strings.Builder
	for i := 0; i < 10000; i++ {
		big.WriteString(rssItem(fmt.Sprintf("big-%d", i), fmt.Sprintf("Item %d of a huge feed", i), "", ""))
	}
	var bomb bytes.Buffer
	gz := gzip.NewWriter(&bomb)
	gz.Write([]byte(rssDoc("bomb")[:60]))
	gz.Write(bytes.Repeat([]byte(" "), 64<<20))
	gz.Close()

	mux := http.NewServeMux()
	routes := map[string]http.HandlerFunc{
		"/malformed": xml("application/rss+xml", []byte(`<rss><channel><title>x</title><item><title>unclosed`)),
		"/html":      xml("text/html", []byte(`<!doctype html><html><body>not a feed</body></html>`)),
		"/empty":     xml("application/rss+xml", nil),
		"/huge-body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			chunk := bytes.Repeat([]byte("<!-- padding -->"), 4096)
			for i := 0; i < (50<<20)/len(chunk); i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"/gzip-bomb": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		},
		"/drip": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			for i := 0; i < 60; i++ {
				if _, err := w.Write([]byte("<")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
			}
		},
		"/loop":  func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", http.StatusFound) },
		"/loop2": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) },
		"/moved": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/good-en", http.StatusMovedPermanently)
		},
		"/temp": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/good-zh", http.StatusFound) },
		"/404":  http.NotFound,
		"/410":  func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) },
		"/429": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		},
		"/503": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "120")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		},
		"/500":          func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
		"/good-en":      xml("application/rss+xml", []byte(rssDoc("Good EN", rssItem("en-1", "Kubernetes operators in production", "https://hostile.example/en/1", "Mon, 23 Nov 2026 08:00:00 GMT")))),
		"/good-zh":      xml("application/rss+xml; charset=utf-8", []byte(rssDoc("好的中文源", rssItem("zh-1", "容器编排的落地实践", "https://hostile.example/zh/1", "Mon, 23 Nov 2026 16:00:00 CST")))),
		"/gbk":          xml("text/xml; charset=gbk", encode(t, simplifiedchinese.GBK, rssDoc("GBK 源", rssItem("gbk-1", "深入理解Docker容器网络", "https://hostile.example/gbk/1", "")))),
		"/gb2312":       xml("text/xml; charset=gb2312", encode(t, simplifiedchinese.GBK, rssDoc("GB2312 源", rssItem("gb-1", "阿里云完成新一轮融资", "https://hostile.example/gb/1", "")))),
		"/big5":         xml("text/xml; charset=big5", encode(t, traditionalchinese.Big5, rssDoc("Big5 源", rssItem("big5-1", "容器編排的實踐", "https://hostile.example/big5/1", "")))),
		"/latin1":       xml("text/xml; charset=iso-8859-1", encode(t, charmap.ISO8859_1, strings.ReplaceAll(rssDoc("Café", rssItem("l1-1", "Déploiement de conteneurs à grande échelle", "https://hostile.example/l1/1", "")), "Kubernetes 集群 and Docker 容器.", "Kubernetes et Docker."))),
		"/bad-utf8":     xml("application/rss+xml", []byte(rssDoc("Bad \xff UTF-8", rssItem("u-1", "Title with \xfe bad bytes", "https://hostile.example/u/1", "")))),
		"/entities":     xml("application/rss+xml", []byte(rssDoc("Ents", rssItem("e-1", "Docker &amp; Kubernetes &#x4E2D;&#25991; \x01\x08 control", "https://hostile.example/e/1", "")))),
		"/dup-guids":    xml("application/rss+xml", []byte(rssDoc("Dups", rssItem("d", "First", "https://hostile.example/d/1", ""), rssItem("d", "Second", "https://hostile.example/d/2", "")))),
		"/no-guid":      xml("application/rss+xml", []byte(rssDoc("NoGUID", rssItem("", "Only a title and a summary", "", "")))),
		"/dates":        xml("application/rss+xml", []byte(rssDoc("Dates", rssItem("future", "From the future", "https://hostile.example/f", "Fri, 01 Jan 2100 00:00:00 GMT"), rssItem("past", "From the past", "https://hostile.example/p", "Thu, 01 Jan 1970 00:00:00 GMT")))),
		"/ten-thousand": xml("application/rss+xml", []byte(rssDoc("Huge", big.String()))),
	}
	for path, h := range routes {
		h := h
		path := path
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[path]++
			mu.Unlock()
			h(w, r)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[path]
	}
}

// TestHostileSources polls a farm of broken, hostile and unusual sources
// next to good ones, twice: the daemon stays up with bounded memory, every
// good source is published, and each broken one has its error recorded and
// logged once.
func TestHostileSources(t *testing.T) {
	srv, hits := hostileFarm(t)
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	tlsSrv.StartTLS()                                   // with a certificate nobody trusts
	t.Cleanup(tlsSrv.Close)
	dir := t.TempDir()

	broken := []string{"malformed", "html", "empty", "huge-body", "gzip-bomb", "drip", "loop", "404", "410", "429", "503", "500"}
	good := []string{"good-en", "good-zh", "gbk", "gb2312", "big5", "latin1", "bad-utf8", "entities", "dup-guids", "no-guid", "dates", "ten-thousand", "moved", "temp"}
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\nlisten: 127.0.0.1:0\n", filepath.Join(dir, "db"))
	b.WriteString("fetch:\n  timeout: 2s\n  max_body_size: 8MiB\n  workers: 32\n  per_host: 32\n")
	b.WriteString("publish:\n  items: 100\n")
	b.WriteString("sources:\n")
	for _, p := range append(append([]string{}, broken...), good...) {
		fmt.Fprintf(&b, "  - name: %s\n    url: %s/%s\n", p, srv.URL, p)
	}
	fmt.Fprintf(&b, "  - name: tls\n    url: %s/feed\n", tlsSrv.URL)
	b.WriteString("  - name: dns\n    url: http://no-such-host.invalid/feed\n")
	broken = append(broken, "tls", "dns")
	b.WriteString("sections:\n  - id: paas\n    title: PaaS\n    rules:\n      - keywords: [kubernetes, 编排, 編排]\n  - id: misc\n    title: Misc\n")
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(b.String()), 0o644)

	m, logs := openMain(t, cfgPath)
	ctx := context.Background()
	defer m.Close(ctx)
	for round := 0; round < 2; round++ {
		m.Poller.PollAll(ctx, nil)
	}
	if _, _, err := m.Curator.ClassifyPending(ctx); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("heap in use after two rounds: %d MiB", ms.HeapInuse>>20)
	if ms.HeapInuse > 256<<20 {
		t.Errorf("heap in use %d MiB: memory is not bounded", ms.HeapInuse>>20)
	}

	srcs, err := m.DB.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts, _ := m.DB.SourceItemCounts(ctx)
	byName := map[string]int{}
	for _, s := range srcs {
		byName[s.Name] = counts[s.ID]
		isBroken := false
		for _, bname := range broken {
			isBroken = isBroken || s.Name == bname
		}
		if isBroken {
			if s.State.ErrorCount == 0 || s.State.LastError == "" {
				t.Errorf("%s: no error recorded (%+v)", s.Name, s.State)
			}
			// Logged once per kind of failure, though polled twice: on a
			// loaded machine a second poll may time out where the first
			// failed otherwise (a new kind, logged), never the same kind
			// twice in a row.
			if kinds := loggedKinds(t, logs.String(), s.Name); len(kinds) == 0 || len(kinds) > 2 || (len(kinds) == 2 && kinds[0] == kinds[1]) {
				t.Errorf("%s: logged with error kinds %q, want one line per change of kind", s.Name, kinds)
			}
		} else if s.State.ErrorCount != 0 || counts[s.ID] == 0 {
			t.Errorf("%s: error %q, %d items", s.Name, s.State.LastError, counts[s.ID])
		}
	}
	// 410 Gone: marked, and not asked again in the second round.
	for _, s := range srcs {
		if s.Name == "410" && (!s.State.Gone || !s.State.NextCheck.IsZero()) {
			t.Errorf("410 source not marked gone: %+v", s.State)
		}
		if s.Name == "404" && s.State.Gone {
			t.Error("404 source marked gone")
		}
	}
	if hits("/410") != 1 || hits("/404") != 2 {
		t.Errorf("requests: 410 %d (want 1), 404 %d (want 2)", hits("/410"), hits("/404"))
	}
	if byName["dup-guids"] != 1 || byName["ten-thousand"] != feeds.DefaultMaxItems || byName["dates"] != 2 {
		t.Errorf("item counts %v", byName)
	}
	// A 301 moves the source, a 302 does not.
	for _, s := range srcs {
		if s.Name == "moved" && !strings.HasSuffix(s.State.URL, "/good-en") {
			t.Errorf("301 did not update the URL: %s", s.State.URL)
		}
		if s.Name == "temp" && !strings.HasSuffix(s.State.URL, "/temp") {
			t.Errorf("302 updated the URL: %s", s.State.URL)
		}
	}

	// Every good source is published, with text decoded right.
	items, err := m.DB.ListItems(ctx, sqliteFilterAll())
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, it := range items {
		titles[it.Title] = true
		if it.Title == "From the future" && it.SortTime.After(time.Now().Add(2*time.Hour)) {
			t.Errorf("future-dated item sorts at %s", it.SortTime)
		}
		if strings.ContainsAny(it.Title, "\x01\x08") || !utf8Valid(it.Title) {
			t.Errorf("title %q carries control characters or invalid UTF-8", it.Title)
		}
	}
	for _, want := range []string{"深入理解Docker容器网络", "阿里云完成新一轮融资", "容器編排的實踐", "Déploiement de conteneurs à grande échelle", "Docker & Kubernetes 中文 control", "容器编排的落地实践"} {
		if !titles[want] {
			t.Errorf("no item titled %q", want)
		}
	}
}

// loggedKinds returns the error_kind of each log line about the source
// named name, in order.
func loggedKinds(t *testing.T, logs, name string) []string {
	t.Helper()
	var kinds []string
	for _, l := range strings.Split(logs, "\n") {
		var line struct {
			Source string `json:"source_name"`
			Kind   string `json:"error_kind"`
		}
		if json.Unmarshal([]byte(l), &line) == nil && line.Source == name {
			kinds = append(kinds, line.Kind)
		}
	}
	return kinds
}

func sqliteFilterAll() sqlite.ItemFilter {
	return sqlite.ItemFilter{Limit: 20000, Unpublished: true}
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// TestFullDatabase runs the daemon's poller against a database that cannot
// grow: every save fails, each source's error is logged once and recorded
// nowhere (the store cannot write), nothing is corrupted, and once there is
// room the next poll stores everything.
func TestFullDatabase(t *testing.T) {
	m, logs := openMain(t, writeConfig(t, newFeedFarm(t), t.TempDir()))
	ctx := context.Background()
	defer m.Close(ctx)
	st, _ := m.DB.Stats(ctx)
	if err := m.DB.SetMaxSize(ctx, st.DatabaseBytes); err != nil {
		t.Fatal(err)
	}
	// Fill what room the file's pages still have, so that no source's items
	// fit: an item of another key at a time, until the store refuses.
	srcs, err := m.DB.Sources(ctx)
	if err != nil || len(srcs) == 0 {
		t.Fatal(srcs, err)
	}
	for i := 0; ; i++ {
		it := feeds.Item{Key: fmt.Sprintf("filler:%d", i), Title: "filler", Content: strings.Repeat("x", 500), Published: time.Now()}
		it.Hash = feeds.ContentHash(&it)
		if _, err := m.DB.SaveFetch(ctx, srcs[0].ID, srcs[0].State, []feeds.Item{it}, time.Now()); err != nil {
			if !strings.Contains(err.Error(), "full") {
				t.Fatalf("filling the database: %v", err)
			}
			break
		}
		if i > 10_000 {
			t.Fatal("the capped database never filled")
		}
	}
	for round := 0; round < 2; round++ {
		sum := m.Poller.PollAll(ctx, nil)
		if sum.OK != 0 || sum.New != 0 {
			t.Fatalf("round %d with a full database: %+v", round, sum)
		}
	}
	if n := strings.Count(logs.String(), `"message":"save failed"`); n != 5 {
		t.Errorf("%d save failures logged for 5 good sources over 2 rounds, want 5 (once per source):\n%s", n, logs.String())
	}
	if err := m.DB.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.SetMaxSize(ctx, 0); err != nil {
		t.Fatal(err)
	}
	sum := m.Poller.PollAll(ctx, nil)
	if sum.OK != 5 || sum.New != demoItemCount(t) {
		t.Errorf("after making room: %+v, want 5 ok and %d new", sum, demoItemCount(t))
	}
}

// TestFullDisk puts the database on a small tmpfs of its own and fills the
// file system under the running poller (a real ENOSPC, not a cap): saves
// fail, each source's error is logged once, reads go on, and once space is
// freed polling stores everything, the file sound. It needs root to mount,
// and skips without it.
func TestFullDisk(t *testing.T) {
	mnt, cfgPath := tmpfsConfig(t, "64m")
	filler := filepath.Join(mnt, "filler")
	fill := func() {
		t.Helper()
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		chunk := make([]byte, 1<<20)
		for {
			if _, err := f.Write(chunk); err != nil {
				return // ENOSPC: the disk is full
			}
		}
	}

	m, logs := openMain(t, cfgPath)
	ctx := context.Background()
	defer func() {
		os.Remove(filler)
		m.Close(ctx)
	}()
	// Only the five good sources: the broken ones fail with or without a disk.
	fill()
	for round := 0; round < 2; round++ {
		if sum := m.Poller.PollAll(ctx, nil); sum.OK != 0 {
			t.Fatalf("round %d on a full disk stored: %+v", round, sum)
		}
	}
	if n := strings.Count(logs.String(), `"message":"save failed"`); n != 5 {
		t.Errorf("%d save failures logged for 5 good sources over 2 rounds, want 5:\n%s", n, logs.String())
	}
	if _, err := m.DB.Stats(ctx); err != nil {
		t.Errorf("reads stopped on a full disk: %v", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	sum := m.Poller.PollAll(ctx, nil)
	if sum.OK != 5 || sum.New != demoItemCount(t) {
		t.Errorf("after freeing space: %+v, want 5 ok and %d new", sum, demoItemCount(t))
	}
	checkIntegrity(t, filepath.Join(mnt, "db"))
}

// TestReadOnlyDatabase starts the daemon on a database whose file system is
// mounted read-only: it refuses to start with an error naming the file, and
// the file is untouched. Needs root to mount; skips without it.
func TestReadOnlyDatabase(t *testing.T) {
	mnt, cfgPath := tmpfsConfig(t, "16m")
	dbPath := filepath.Join(mnt, "db")
	if _, errOut, code := run(t, "fetch", "--config", cfgPath, "--log-level", "error"); code != 0 {
		t.Fatalf("fetch on a writable disk: %s", errOut)
	}
	before, _ := os.ReadFile(dbPath)
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v %s", err, out)
	}
	_, errOut, code := run(t, "fetch", "--config", cfgPath, "--log-level", "error")
	if code == 0 || !strings.Contains(errOut, dbPath) || !strings.Contains(errOut, "read-only file system") {
		t.Errorf("fetch on a read-only database: exit %d, %s; want the file and the cause named", code, errOut)
	}
	t.Logf("on a read-only database: %s", strings.TrimSpace(errOut))
	after, _ := os.ReadFile(dbPath)
	if !bytes.Equal(before, after) {
		t.Error("the read-only database changed")
	}
}

// tmpfsConfig mounts a tmpfs of the given size (skipping the test without
// root) and writes a configuration for the demo farm whose database is on it.
func tmpfsConfig(t *testing.T, size string) (mnt, cfgPath string) {
	t.Helper()
	mnt = filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	return mnt, configWithDatabase(t, filepath.Join(mnt, "db"))
}

// openMain loads the configuration at cfgPath and opens the daemon with a
// logger into the returned buffer; the caller closes it.
func openMain(t *testing.T, cfgPath string) (*daemon.Main, *syncBuffer) {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := daemon.New(cfg, zerolog.New(logs))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m, logs
}

// checkIntegrity runs SQLite's integrity_check on the database at dbPath,
// through a connection of its own.
func checkIntegrity(t *testing.T, dbPath string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ic string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		t.Errorf("integrity_check of %s: %q %v", dbPath, ic, err)
	}
}

// configWithDatabase writes a configuration for the demo farm whose
// database is dbPath.
func configWithDatabase(t *testing.T, dbPath string) string {
	t.Helper()
	cfgPath := writeConfig(t, newFeedFarm(t), t.TempDir())
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	raw = regexp.MustCompile(`(?m)^database: .*$`).ReplaceAll(raw, []byte("database: "+dbPath))
	if err := os.WriteFile(cfgPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

// TestDiskTurnsReadOnly puts the database on an ext4 file system of its own
// (a loop device, errors=remount-ro) and makes the kernel turn it read-only
// under the running daemon, as it does on an I/O error: every save fails and
// each source's error is logged once, naming the cause, the feeds are still
// served, the file is not corrupted, and after the disk is repaired and the
// daemon restarted polling fetches again whatever had not reached the disk. It needs root, a loop device and mkfs.ext4, and skips
// without them.
func TestDiskTurnsReadOnly(t *testing.T) {
	for _, tool := range []string{"mkfs.ext4", "e2fsck", "losetup", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	mnt := filepath.Join(t.TempDir(), "mnt")
	for _, cmd := range [][]string{
		{"truncate", "-s", "64M", img},
		{"mkfs.ext4", "-q", "-F", img},
		{"mkdir", mnt},
	} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Skipf("%v: %v %s", cmd, err, out)
		}
	}
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("no loop device (needs root): %v %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	mount := func() {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "errors=remount-ro", dev, mnt).CombinedOutput(); err != nil {
			t.Skipf("cannot mount %s (needs root): %v %s", dev, err, out)
		}
	}
	mount()
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })

	dbPath := filepath.Join(mnt, "db")
	cfgPath := configWithDatabase(t, dbPath)
	ctx := context.Background()
	m, logs := openMain(t, cfgPath)
	if sum := m.Poller.PollAll(ctx, nil); sum.OK != 5 || sum.New != demoItemCount(t) {
		t.Fatalf("first poll: %+v", sum)
	}
	if _, _, err := m.Curator.ClassifyPending(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := m.DB.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	feed := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		m.Publisher.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/all.atom", nil))
		return rec
	}
	served := feed().Body.String()

	// The kernel's reaction to an I/O error, on demand.
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(dev), "trigger_fs_error")
	if err := os.WriteFile(trigger, []byte("read-only test\n"), 0o200); err != nil {
		m.Close(ctx)
		t.Skipf("cannot trigger an ext4 error: %v", err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "probe"), nil, 0o644); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("the file system is still writable after the error: %v", err)
	}
	logs.Reset()
	for round := 0; round < 2; round++ {
		sum := m.Poller.PollAll(ctx, nil)
		if sum.New != 0 || sum.Errors != sum.Sources {
			t.Errorf("round %d on a read-only disk: %+v, want every source failed", round, sum)
		}
	}
	if n := strings.Count(logs.String(), `"message":"save failed"`); n != 5 {
		t.Errorf("%d save failures logged for 5 good sources over 2 rounds, want 5 (once per source):\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "read-only file system") {
		t.Errorf("the log does not say the disk is read-only:\n%s", logs.String())
	}
	if st, err := m.DB.Stats(ctx); err != nil || st.Items != before.Items {
		t.Errorf("reads on a read-only disk: %+v, %v; want %d items", st, err, before.Items)
	}
	if rec := feed(); rec.Code != 200 || rec.Body.String() != served {
		t.Errorf("feed on a read-only disk: status %d, %d bytes (was %d)", rec.Code, rec.Body.Len(), len(served))
	}
	m.Close(ctx) // its last checkpoint fails on the read-only disk; the WAL keeps the data

	// The operator's repair: unmount, fsck, mount, restart.
	if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v %s", err, out)
	}
	if out, err := exec.Command("e2fsck", "-f", "-y", img).CombinedOutput(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() > 1 { // 1: errors corrected
			t.Fatalf("e2fsck: %v %s", err, out)
		}
	}
	mount()
	m, logs = openMain(t, cfgPath)
	defer m.Close(ctx)
	checkIntegrity(t, dbPath)
	// Commits not yet written back when the disk failed are gone (WAL with
	// synchronous=NORMAL, like a power cut), but a fetch state never
	// survives without its items: whatever is missing is fetched again.
	kept, err := m.DB.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := m.Poller.PollAll(ctx, nil)
	if sum.Errors != 4 || sum.OK+sum.NotModified != 5 || sum.New != before.Items-kept.Items || strings.Contains(logs.String(), `"save failed"`) {
		t.Errorf("polling after the repair, %d of %d items on disk: %+v, want the missing ones new\n%s", kept.Items, before.Items, sum, logs.String())
	}
	if st, err := m.DB.Stats(ctx); err != nil || st.Items != before.Items {
		t.Errorf("after the repair and a poll: %d items, %v; want the %d stored before", st.Items, err, before.Items)
	}
	t.Logf("after the repair: %d of %d items were on disk; the poll fetched %d again", kept.Items, before.Items, sum.New)
}
