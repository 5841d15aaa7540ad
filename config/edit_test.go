package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/config"
)

// TestAddSourcesKeepsTheFile: importing sources changes only the lines of
// the new sources; comments, blank lines and wrapped lists stay as written.
func TestAddSourcesKeepsTheFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(strings.NewReader(string(data)), "config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	add := []config.Source{
		{Name: "Team A", URL: "https://e.example/feed.php?key=team-a"},
		{Name: "Team B", URL: "https://e.example/feed.php?key=team-b"}, // differs only in a parameter: another feed
		{Name: cfg.Sources[0].Name, URL: "https://new.example/feed", Tags: []string{"zh", "k8s"}},
		{Name: "again", URL: strings.ToUpper(cfg.Sources[1].URL[:5]) + cfg.Sources[1].URL[5:]}, // already there
		{Name: "冒号: 与 #号", URL: "https://zh.example/rss"},
	}
	out, added, err := config.AddSources(data, add)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 4 {
		t.Fatalf("added %d sources, want 4: %+v", len(added), added)
	}
	if added[2].Name != cfg.Sources[0].Name+" (2)" {
		t.Errorf("a taken name became %q", added[2].Name)
	}
	oldLines := strings.SplitAfter(string(data), "\n")
	newLines := strings.SplitAfter(string(out), "\n")
	// Every old line is kept, in order; the new ones form one block.
	j, inserted := 0, 0
	for _, l := range newLines {
		if j < len(oldLines) && l == oldLines[j] {
			j++
			continue
		}
		inserted++
	}
	if j != len(oldLines) {
		t.Fatalf("old line %d %q is gone from the edited file", j+1, oldLines[j])
	}
	if inserted > 12 {
		t.Errorf("%d lines inserted for 4 sources:\n%s", inserted, out)
	}
	got, err := config.Parse(strings.NewReader(string(out)), "edited.yaml")
	if err != nil {
		t.Fatalf("edited file does not validate: %v\n%s", err, out)
	}
	if len(got.Sources) != len(cfg.Sources)+4 {
		t.Fatalf("%d sources after the edit, want %d", len(got.Sources), len(cfg.Sources)+4)
	}
	last := got.Sources[len(got.Sources)-1]
	if last.Name != "冒号: 与 #号" || last.URL != "https://zh.example/rss" {
		t.Errorf("last source read back as %+v", last)
	}
	if tags := got.Sources[len(got.Sources)-2].Tags; strings.Join(tags, ",") != "zh,k8s" {
		t.Errorf("tags read back as %v", tags)
	}
	again, more, err := config.AddSources(out, add)
	if err != nil || len(more) != 0 || string(again) != string(out) {
		t.Errorf("a second import changed the file (added %v, err %v)", more, err)
	}
}

// TestAddSourcesToAConfigWithout: a configuration with no sources, an empty
// list or a flow list gets a block list.
func TestAddSourcesToAConfigWithout(t *testing.T) {
	sections := "# sections\nsections:\n  - id: misc\n    title: Misc\n"
	add := []config.Source{{Name: "a", URL: "https://a.example/feed"}}
	for name, data := range map[string]string{
		"no key":     sections,
		"empty":      "sources:\n" + sections,
		"empty list": "sources: []   # none yet\n\n" + sections,
		"flow list":  "sources: [{name: b, url: 'https://b.example/'}]\n" + sections,
		"at the end": sections + "sources: []",
		"block flow": "sources:\n  - {name: b, url: 'https://b.example/'}\n\n" + sections,
	} {
		t.Run(name, func(t *testing.T) {
			out, added, err := config.AddSources([]byte(data), add)
			if err != nil || len(added) != 1 {
				t.Fatalf("AddSources: %v, added %v", err, added)
			}
			cfg, err := config.Parse(strings.NewReader(string(out)), "x.yaml")
			if err != nil {
				t.Fatalf("result does not validate: %v\n%s", err, out)
			}
			if cfg.Sources[len(cfg.Sources)-1].URL != "https://a.example/feed" || len(cfg.Sections) != 1 {
				t.Errorf("result:\n%s", out)
			}
			if !strings.Contains(string(out), "# sections\n") {
				t.Errorf("comment lost:\n%s", out)
			}
		})
	}
	if _, _, err := config.AddSources([]byte("- a\n- b\n"), add); err == nil {
		t.Error("a YAML list accepted as a configuration")
	}
}
