package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/sqlite"
)

func runArchive(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmdArchive(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestArchiveImport imports a folder of past issues, a labelled file and a
// broken file: per file the items found and every unreadable line; a
// second import changes nothing.
func TestArchiveImport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "db")
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	issues := filepath.Join(dir, "issues")
	if err := os.MkdirAll(issues, 0o755); err != nil {
		t.Fatal(err)
	}
	messy, err := os.ReadFile(filepath.Join("..", "..", "digest", "testdata", "messy.md"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(issues, "2017-09-15-messy.md"), string(messy))
	write(filepath.Join(issues, "notes.txt"), "not an issue: skipped in a folder")
	labelled := filepath.Join(dir, "labelled.yaml")
	write(labelled, "- title: SUSE to Acquire Rancher Labs\n  section: industry\n  source: TechCrunch\n"+
		"- title: 一篇不在任何栏目的文章\n  section: nowhere\n")
	undated := filepath.Join(dir, "undated.md")
	write(undated, "### 大杂烩\n\n#### 1、没有日期的期刊\n")

	cfg := filepath.Join("..", "..", "config.example.yaml")
	args := []string{"import", "--config", cfg, "--database", dbPath, issues, labelled, undated}
	out, errOut, err := runArchive(t, args...)
	if err == nil || !strings.Contains(errOut, "1 of 3 files not imported") {
		t.Errorf("import with an undated file: %v, %s", err, errOut)
	}
	for _, want := range []string{
		"2017-09-15-messy.md: issue of 2017-W36: 5 items (5 new, 0 updated, 0 unchanged), 5 unreadable lines",
		"messy.md:42: heading of no configured section",
		"labelled.yaml: labelled file: 2 items (1 new, 0 updated, 0 unchanged), 1 unreadable lines",
		`labelled.yaml:4: section "nowhere" is not configured; item skipped`,
		"undated.md: not imported: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "notes.txt") {
		t.Errorf("a text file in a folder was read:\n%s", out)
	}

	out, errOut, err = runArchive(t, "import", "--config", cfg, "--database", dbPath, "--json", issues, labelled)
	if err != nil {
		t.Fatalf("second import: %v %s", err, errOut)
	}
	var files []archiveFile
	if err := json.Unmarshal([]byte(out), &files); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(files) != 2 || files[0].Unchanged != 5 || files[0].New != 0 || files[1].Unchanged != 1 || len(files[0].Problems) != 5 || files[0].Week != "2017-W36" {
		t.Errorf("second import changed something: %+v", files)
	}

	db, err = sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ex, err := db.Examples(ctx, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 6 {
		t.Errorf("%d examples, want 5 from the issue and 1 from the labelled file", len(ex))
	}
}

// TestRulesEvalFolds cross-validates over the past issues of
// digest/testdata/archive once they are imported, with the learning curve.
func TestRulesEvalFolds(t *testing.T) {
	cfg, dbPath := importTestArchive(t)
	args := []string{"--config", cfg, "--database", dbPath, "--folds", "5", "--json", filepath.Join("..", "..", "curator", "testdata", "labelled", "feeds.yaml")}
	if !wantsFolds(args) || wantsFolds([]string{"--config", "x", "labelled.yaml"}) || !wantsFolds([]string{"-folds=3"}) {
		t.Error("wantsFolds")
	}
	var out, errOut bytes.Buffer
	if err := cmdRulesEvalFolds(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("rules eval --folds: %v %s", err, errOut.String())
	}
	var got foldsOut
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got.Stored < 170 || got.Examples != got.Stored+66 || got.Report.Folds != 5 || got.Tested != 4 || len(got.Curve) != 5 ||
		got.Report.Learned.Total != got.Examples || got.Report.Combined.Accuracy < 0.5 {
		t.Errorf("rules eval --folds: %+v", got)
	}
	out.Reset()
	if err := cmdRulesEvalFolds(context.Background(), args[:len(args)-2], &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "5-fold cross-validation over") || !strings.Contains(out.String(), "learning curve, measured on the last 4 issues") {
		t.Errorf("rules eval --folds:\n%s", out.String())
	}
	t.Logf("\n%s", out.String())
}

// TestRulesSuggest: keywords mined from imported past issues, each with its
// precision and the stored items a rule of it would move, and a YAML
// snippet to paste.
func TestRulesSuggest(t *testing.T) {
	cfg, dbPath := importTestArchive(t)
	out, errOut, code := run(t, "rules", "suggest", "--config", cfg, "--database", dbPath, "--json", "--min-precision", "0.9")
	if code != 0 {
		t.Fatalf("rules suggest: exit %d %s", code, errOut)
	}
	var got []suggestion
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("rules suggest --json: %v\n%s", err, out)
	}
	if len(got) == 0 {
		t.Fatalf("no suggestion from the imported issues:\n%s", out)
	}
	for _, s := range got {
		if s.Precision < 0.9 || s.Support < 3 || s.Moves < 0 || s.Keyword == "" {
			t.Errorf("suggestion %+v", s)
		}
	}
	text, _, code := run(t, "rules", "suggest", "--config", cfg, "--database", dbPath)
	if code != 0 || !strings.Contains(text, "PRECISION") || !strings.Contains(text, "to paste under a section's rules:") ||
		!strings.Contains(text, "keywords: [") {
		t.Errorf("rules suggest:\n%s", text)
	}
}

// importTestArchive imports the past issues of digest/testdata/archive
// into a new database with the example configuration, and returns the two.
func importTestArchive(t *testing.T) (cfg, dbPath string) {
	t.Helper()
	dbPath = filepath.Join(t.TempDir(), "db")
	db, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	cfg = filepath.Join("..", "..", "config.example.yaml")
	archive := filepath.Join("..", "..", "digest", "testdata", "archive")
	if _, errOut, code := run(t, "archive", "import", "--config", cfg, "--database", dbPath, archive); code != 0 {
		t.Fatalf("archive import: %s", errOut)
	}
	return cfg, dbPath
}
