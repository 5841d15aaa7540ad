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

// TestSetDeskPasswordHash: the hash goes where the file keeps desk
// settings, every other byte stays, and the result is a valid
// configuration with that hash; a second run replaces the first.
func TestSetDeskPasswordHash(t *testing.T) {
	const h1 = "$2a$12$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"
	const h2 = "$2b$10$./0123456789./0123456789./0123456789./0123456789./012"
	base := "database: feeds.db\nsources:\n  - {name: a, url: \"https://a.example/feed\"}\nsections:\n  - id: misc\n    title: 大杂烩\n"
	cases := []struct{ name, in, want string }{
		{"no desk", base, base + "desk:\n  password_hash: " + h1 + "\n"},
		{"no newline at the end", strings.TrimSuffix(base, "\n"), base + "desk:\n  password_hash: " + h1 + "\n"},
		{"empty desk", "desk:\n" + base, "desk:\n  password_hash: " + h1 + "\n" + base},
		{"null desk with comment", "desk: ~ # the editor's\n" + base, "desk: # the editor's\n  password_hash: " + h1 + "\n" + base},
		{"desk without the key", base + "desk:\n    allow_remote: false\n", base + "desk:\n    password_hash: " + h1 + "\n    allow_remote: false\n"},
		{"replace", base + "desk:\n  allow_remote: false\n  password_hash: \"old\" # set by passwd\n# end\n",
			base + "desk:\n  allow_remote: false\n  password_hash: " + h1 + " # set by passwd\n# end\n"},
	}
	for _, c := range cases {
		out, err := config.SetDeskPasswordHash([]byte(c.in), h1)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(out) != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.name, out, c.want)
			continue
		}
		cfg, err := config.Parse(strings.NewReader(string(out)), "x.yaml")
		if err != nil || cfg.Desk.PasswordHash != h1 {
			t.Errorf("%s: the edited file reads %+v, %v", c.name, cfg, err)
			continue
		}
		again, err := config.SetDeskPasswordHash(out, h2)
		if err != nil || strings.Count(string(again), "password_hash") != 1 || !strings.Contains(string(again), h2) {
			t.Errorf("%s: a second hash gives\n%s\n%v", c.name, again, err)
		}
	}
	if _, err := config.SetDeskPasswordHash([]byte(base+"desk: {allow_remote: true}\n"), h1); err == nil {
		t.Error("a flow-style desk section was edited")
	}
	if _, err := config.SetDeskPasswordHash([]byte("- a\n"), h1); err == nil {
		t.Error("a YAML list was edited as a configuration")
	}
}

// TestDeskPasswordHashValidated: a password_hash that is no bcrypt hash
// (a password written in clear, say) is refused, naming the field and line.
func TestDeskPasswordHashValidated(t *testing.T) {
	in := "database: feeds.db\nsources:\n  - {name: a, url: \"https://a.example/feed\"}\nsections:\n  - id: misc\n    title: misc\ndesk:\n  password_hash: hunter22\n"
	_, err := config.Parse(strings.NewReader(in), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), "desk.password_hash") || !strings.Contains(err.Error(), "x.yaml:8") {
		t.Errorf("a clear password as hash: %v", err)
	}
}
