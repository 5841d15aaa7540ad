package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rivo/uniseg"

	"github.com/feedcurator/feedcurator/config"
)

// TestHelpAndVersion: -h prints the usage and exits 0, for every command;
// version names the build.
func TestHelpAndVersion(t *testing.T) {
	for _, cmd := range [][]string{{"-h"}, {"help"}, {"run", "-h"}, {"fetch", "-h"}, {"sources", "-h"}, {"items", "--help"},
		{"explain", "-h"}, {"import-opml", "-h"}, {"digest", "-h"}, {"rules", "eval", "-h"}, {"version", "-h"}} {
		out, errOut, code := run(t, cmd...)
		if code != 0 {
			t.Errorf("feedcurator %s: exit %d, want 0\n%s%s", strings.Join(cmd, " "), code, out, errOut)
		}
		if !strings.Contains(out+errOut, "usage") && !strings.Contains(out+errOut, "-config") && !strings.Contains(out+errOut, "Usage") {
			t.Errorf("feedcurator %s printed no usage:\n%s%s", strings.Join(cmd, " "), out, errOut)
		}
	}
	if _, _, code := run(t, "sources", "--no-such-flag"); code != exitUsage {
		t.Errorf("a bad flag: exit %d, want %d", code, exitUsage)
	}
	out, _, code := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "feedcurator ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// TestDatabaseFlag: --database and $FEEDCURATOR_DATABASE point the admin
// commands at a database other than the configuration's.
func TestDatabaseFlag(t *testing.T) {
	farm := newFeedFarm(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, farm, dir)
	if _, errOut, code := run(t, "fetch", "--config", cfgPath, "--log-level", "error"); code != 0 {
		t.Fatalf("fetch: %s", errOut)
	}
	moved := filepath.Join(t.TempDir(), "moved.db")
	if err := os.Rename(filepath.Join(dir, "feedcurator.db"), moved); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"-wal", "-shm"} {
		os.Rename(filepath.Join(dir, "feedcurator.db"+ext), moved+ext)
	}
	if _, errOut, code := run(t, "stats", "--config", cfgPath); code == 0 || !strings.Contains(errOut, "no database at") {
		t.Errorf("stats of a moved database: exit %d %s", code, errOut)
	}
	if out, errOut, code := run(t, "stats", "--config", cfgPath, "--database", moved); code != 0 || !strings.Contains(out, moved) {
		t.Errorf("stats --database: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("FEEDCURATOR_DATABASE", moved)
	if out, errOut, code := run(t, "sources", "--config", cfgPath); code != 0 || !strings.Contains(out, "broken gone") {
		t.Errorf("sources with FEEDCURATOR_DATABASE: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "feedcurator.db")); err == nil {
		t.Error("an admin command created the configured database")
	}
}

// TestFetchRefusesAnotherConfiguration: fetch with a second configuration
// against a daemon's database would replace its sources: it refuses unless
// forced.
func TestFetchRefusesAnotherConfiguration(t *testing.T) {
	farm := newFeedFarm(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, farm, dir)
	if _, errOut, code := run(t, "fetch", "--config", cfgPath, "--log-level", "error"); code != 0 {
		t.Fatalf("fetch: %s", errOut)
	}
	data, _ := os.ReadFile(cfgPath)
	other := filepath.Join(t.TempDir(), "other.yaml")
	os.WriteFile(other, data, 0o644)
	if _, errOut, code := run(t, "fetch", "--config", other, "--log-level", "error"); code == 0 ||
		!strings.Contains(errOut, cfgPath) || !strings.Contains(errOut, "--force") {
		t.Errorf("fetch with another configuration: exit %d, %s", code, errOut)
	}
	if _, errOut, code := run(t, "fetch", "--config", other, "--force", "--log-level", "error"); code != 0 {
		t.Errorf("fetch --force: exit %d, %s", code, errOut)
	}
}

// TestTableDisplayWidth: columns line up by display width with Chinese
// names, and no control character reaches the terminal.
func TestTableDisplayWidth(t *testing.T) {
	var b bytes.Buffer
	tw := newTable(&b)
	b.Reset()
	for _, row := range [][2]string{{"ID", "NAME"}, {"1", "容器技术周报"}, {"22", "Kubernetes Blog"}, {"333", clip("阮一峰的网络日志\u0085\x1b[31m红", 12)}} {
		tw.Write([]byte(row[0] + "\t" + row[1] + "\tend\n"))
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	col := -1
	for _, l := range lines {
		i := strings.Index(l, "end")
		if i < 0 {
			t.Fatalf("line %q lost its last cell", l)
		}
		w := uniseg.StringWidth(l[:i])
		if col >= 0 && w != col {
			t.Errorf("misaligned table (last column at %d and %d):\n%s", col, w, b.String())
			break
		}
		col = w
	}
	if strings.ContainsAny(b.String(), "\x1b\u0085") {
		t.Errorf("control characters in the table: %q", b.String())
	}
	if got := clip("容器技术周报容器技术周报", 9); uniseg.StringWidth(got) > 9 || !strings.HasSuffix(got, "…") {
		t.Errorf("clip to 9 columns: %q (%d columns)", got, uniseg.StringWidth(got))
	}
}

// TestImportOPMLKeepsTheFile: importing into a configuration that has no
// sources works, the file keeps every line it had, and a symbolic link to
// it stays a link.
func TestImportOPMLKeepsTheFile(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	orig := "# feeds of the weekly\ndatabase: x.db   # beside the file\n\nsections:\n  - id: misc\n    title: 大杂烩\n    rules:\n      - keywords: [rust, go,\n                   zig]\n"
	if err := os.WriteFile(real, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config.yaml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	opml := filepath.Join(dir, "in.opml")
	os.WriteFile(opml, []byte(`<?xml version="1.0"?><opml version="2.0"><body>
<outline text="InfoQ 中文" type="rss" xmlUrl="https://www.infoq.cn/feed"/>
<outline text="Team A" type="rss" xmlUrl="https://e.example/feed.php?key=team-a"/>
<outline text="Team B" type="rss" xmlUrl="https://e.example/feed.php?key=team-b"/>
</body></opml>`), 0o644)
	out, errOut, code := run(t, "import-opml", "--config", link, opml)
	if code != 0 || !strings.Contains(out, "added 3 sources") {
		t.Fatalf("import-opml: exit %d\n%s%s", code, out, errOut)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the configuration's symbolic link was replaced (%v)", err)
	}
	got, _ := os.ReadFile(real)
	if !strings.HasPrefix(string(got), orig) {
		t.Errorf("the file's own lines changed:\n%s", got)
	}
	cfg, err := config.Load(link)
	if err != nil {
		t.Fatalf("after import: %v", err)
	}
	if len(cfg.Sources) != 3 || cfg.Sources[2].URL != "https://e.example/feed.php?key=team-b" {
		t.Errorf("sources: %+v", cfg.Sources)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("files left beside the configuration: %v", ents)
	}
}

// TestCommandsRedactCredentials: a password or token in a source URL is used
// to fetch it and shown nowhere else: not in the logs, sources, the OPML
// export (unless asked for) or the published feeds.
func TestCommandsRedactCredentials(t *testing.T) {
	farm := newFeedFarm(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, farm, dir)
	data, _ := os.ReadFile(cfgPath)
	host := strings.TrimPrefix(farm.URL, "http://")
	secretURL := "http://editor:hunter2pass@" + host + "/good/k8s-blog.atom?private_token=tok3n5ecret"
	data = []byte(strings.Replace(string(data), farm.URL+"/good/k8s-blog.atom", secretURL, 1))
	data = []byte(strings.Replace(string(data), farm.URL+"/gone", "http://u:hunter2pass@"+host+"/gone?key=tok3n5ecret", 1))
	os.WriteFile(cfgPath, data, 0o644)
	_, fetchLog, code := run(t, "fetch", "--config", cfgPath, "--log-level", "debug")
	if code != 0 {
		t.Fatalf("fetch: %s", fetchLog)
	}
	outputs := map[string]string{"fetch log": fetchLog}
	for name, args := range map[string][]string{
		"sources":      {"sources", "--config", cfgPath},
		"sources json": {"sources", "--config", cfgPath, "--json"},
		"export-opml":  {"export-opml", "--config", cfgPath},
		"items":        {"items", "--config", cfgPath, "--json", "--all"},
		"digest":       {"digest", "--config", cfgPath, "--week", "2026-W47", "--out", "-"},
	} {
		out, errOut, code := run(t, args...)
		if code != 0 {
			t.Errorf("%s: exit %d %s", name, code, errOut)
		}
		outputs[name] = out + errOut
	}
	for name, out := range outputs {
		for _, secret := range []string{"hunter2pass", "tok3n5ecret", "editor:"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows %q:\n%s", name, secret, out)
			}
		}
	}
	if !strings.Contains(outputs["sources json"], "private_token=REDACTED") {
		t.Errorf("sources does not show the redacted URL:\n%s", outputs["sources json"])
	}
	out, _, _ := run(t, "export-opml", "--config", cfgPath, "--with-credentials")
	if !strings.Contains(out, "tok3n5ecret") {
		t.Errorf("export-opml --with-credentials dropped the token:\n%s", out)
	}
}
