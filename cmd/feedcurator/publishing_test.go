package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/config"
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
