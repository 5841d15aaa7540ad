package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/sqlite"
)

func TestDigestAndOPMLCommands(t *testing.T) {
	farm := newFeedFarm(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, farm, dir)
	if _, errOut, code := run(t, "fetch", "--config", cfgPath, "--log-level", "error"); code != 0 {
		t.Fatalf("fetch: %s", errOut)
	}

	// The digest of a week of the demo feeds, in the seeds' shape.
	out, errOut, code := run(t, "digest", "--config", cfgPath, "--week", "2026-W47", "--out", "-")
	if code != 0 {
		t.Fatalf("digest: %s", errOut)
	}
	for _, want := range []string{"---\nlayout: post\n", "title:  \"【20261123】一周业内技术动态\"", "# 20261123期", "### 云计算及容器技术", "#### 1、", "> 要点", "原文链接：[点击进入]"} {
		if !strings.Contains(out, want) {
			t.Errorf("digest lacks %q:\n%s", want, out)
		}
	}
	posts := filepath.Join(dir, "_posts")
	os.Mkdir(posts, 0o755)
	out, errOut, code = run(t, "digest", "--config", cfgPath, "--week", "2026-W47", "--out", posts)
	files, _ := os.ReadDir(posts)
	if code != 0 || len(files) != 1 || !strings.HasSuffix(files[0].Name(), ".md") {
		t.Errorf("digest --out: %d %s%s %v", code, out, errOut, files)
	}
	if _, errOut, code := run(t, "digest", "--config", cfgPath, "--week", "2016-W26", "--out", "-"); code == 0 || !strings.Contains(errOut, "no published items") {
		t.Errorf("digest of an empty week: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, "digest", "--config", cfgPath, "--week", "2016-53"); code == 0 || !strings.Contains(errOut, "--week") {
		t.Errorf("digest of a bad week: %d %s", code, errOut)
	}

	// OPML out, and in again: known feeds are skipped, a new one is added.
	out, _, code = run(t, "export-opml", "--config", cfgPath)
	if code != 0 || strings.Count(out, "xmlUrl=") != 9 {
		t.Fatalf("export-opml: %d\n%s", code, out)
	}
	opml := strings.Replace(out, "</body>", `<outline text="CNCF" type="rss" xmlUrl="https://www.cncf.io/feed/"/></body>`, 1)
	opmlPath := filepath.Join(dir, "in.opml")
	os.WriteFile(opmlPath, []byte(opml), 0o644)
	out, errOut, code = run(t, "import-opml", "--config", cfgPath, opmlPath)
	if code != 0 || !strings.Contains(out, "added 1 sources") {
		t.Fatalf("import-opml: %d %s%s", code, out, errOut)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("config after import: %v", err)
	}
	if len(cfg.Sources) != 10 || cfg.Sources[9].URL != "https://www.cncf.io/feed/" || cfg.Sources[9].Name != "CNCF" {
		t.Errorf("sources after import: %+v", cfg.Sources[9:])
	}
	if len(cfg.Sections) != 4 || len(cfg.Sections[0].Rules) == 0 {
		t.Error("import lost the sections")
	}
	out, _, _ = run(t, "import-opml", "--config", cfgPath, opmlPath)
	if !strings.Contains(out, "no new sources") {
		t.Errorf("second import: %s", out)
	}
	os.WriteFile(opmlPath, []byte("<opml><body>"), 0o644)
	if _, errOut, code := run(t, "import-opml", "--config", cfgPath, opmlPath); code == 0 || !strings.Contains(errOut, "in.opml") {
		t.Errorf("broken OPML: %d %s", code, errOut)
	}
}

// TestNearDuplicatesAcrossSources: the same story from two sources (one link
// with tracking parameters, one without; then a near-identical title) is
// published once, naming the other source.
func TestNearDuplicatesAcrossSources(t *testing.T) {
	feed := func(title string, items ...[2]string) []byte {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>` + title + `</title><link>https://` + title + `.example/</link>`)
		for i, it := range items {
			fmt.Fprintf(&b, `<item><title>%s</title><link>%s</link><guid>%s-%d</guid><description>Kubernetes 生产实践</description><pubDate>Mon, 23 Nov 2026 0%d:00:00 GMT</pubDate></item>`, it[0], it[1], title, i, i+1)
		}
		b.WriteString(`</channel></rss>`)
		return []byte(b.String())
	}
	bodies := map[string][]byte{
		"/a": feed("alpha",
			[2]string{"Kubernetes 1.35 发布：原地调整 Pod 资源正式可用", "https://news.example/k8s-135?utm_source=alpha"},
			[2]string{"Docker Desktop 5.0 正式发布", "https://alpha.example/docker-5"}),
		"/b": feed("beta",
			[2]string{"K8s 1.35 is out", "https://news.example/k8s-135/#comments"},
			[2]string{"Docker Desktop 5.0 正式發佈 - Beta News", "https://beta.example/p/99"}),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(bodies[r.URL.Path])
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`database: %s
listen: 127.0.0.1:0
publish:
  lang: zh-CN
sources:
  - name: Alpha
    url: %s/a
  - name: Beta
    url: %s/b
sections:
  - id: paas
    title: PaaS
    rules:
      - keywords: [kubernetes, k8s]
  - id: misc
    title: Misc
`, filepath.Join(dir, "db"), srv.URL, srv.URL)), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	m := daemon.New(cfg, zerolog.Nop())
	ctx := context.Background()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	m.Poller.PollAll(ctx, nil)
	if _, _, err := m.Curator.ClassifyPending(ctx); err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(m.Handler())
	defer web.Close()
	resp, body := get(t, web.URL+"/feeds/all.atom")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc atomDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Entries) != 2 {
		t.Fatalf("%d entries, want 2 (each story once):\n%s", len(doc.Entries), body)
	}
	// Whichever source was stored first carries the story; the other is
	// named in a related link and in the summary.
	text := html.UnescapeString(string(body))
	if n := strings.Count(text, `rel="related"`); n != 2 {
		t.Errorf("%d related links, want 2:\n%s", n, body)
	}
	if strings.Count(text, "也见于：") != 2 || !(strings.Contains(text, ">Alpha</a>") || strings.Contains(text, ">Beta</a>")) {
		t.Errorf("summaries do not name the other source:\n%s", body)
	}
	validateAtom(t, body)
	st, _ := m.DB.Stats(ctx)
	if st.Duplicates != 2 {
		t.Errorf("%d duplicates recorded, want 2", st.Duplicates)
	}

	// The editor picks the other copy of the Kubernetes story: it is the one
	// published from then on.
	var other int64
	items, _ := m.DB.ListItems(ctx, sqlite.ItemFilter{Unpublished: true, Limit: 100})
	for _, it := range items {
		if strings.HasPrefix(it.Title, "K8s 1.35") || strings.HasPrefix(it.Title, "Kubernetes 1.35") {
			if dup, _ := m.DB.DuplicateOf(ctx, it.ID); dup != 0 {
				other = it.ID
			}
		}
	}
	if other == 0 {
		t.Fatal("no unpublished copy of the Kubernetes story")
	}
	m.Close(ctx)
	if out, errOut, code := run(t, "item", "--config", cfgPath, "primary", fmt.Sprint(other)); code != 0 {
		t.Fatalf("item primary: exit %d %s%s", code, out, errOut)
	}
	if _, errOut, code := run(t, "item", "--config", cfgPath, "primary", "99999"); code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("item primary of no item: exit %d %s", code, errOut)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if dup, _ := db.DuplicateOf(ctx, other); dup != 0 {
		t.Errorf("item %d is still a copy of %d after item primary", other, dup)
	}
}
