package daemon

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/demo"
	"github.com/feedcurator/feedcurator/feeds"
)

// TestLearnsFromTheEditor: the editor's moves are labelled examples; the
// daemon retrains on them, puts the blended rules in force, decides the
// recent items again, and explain shows the learned part.
func TestLearnsFromTheEditor(t *testing.T) {
	srv := httptest.NewServer(demo.Handler())
	defer srv.Close()
	example, err := os.ReadFile(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\nlisten: 127.0.0.1:0\n", filepath.Join(dir, "db"))
	b.WriteString("sources:\n")
	for _, f := range demo.Feeds() {
		fmt.Fprintf(&b, "  - name: %s\n    url: %s%s\n", f.Name, srv.URL, f.Path)
	}
	b.Write(example[strings.Index(string(example), "\nsections:")+1:])
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(b.String()), 0o644)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m := New(cfg, zerolog.New(zerolog.NewTestWriter(t)))
	m.ConfigPath = path
	ctx := context.Background()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	if model, _ := m.Curator.Ruleset().Model(); model != nil {
		t.Fatal("a learned part with no labelled example")
	}
	m.Poller.PollAll(ctx, nil)
	if _, _, err := m.Curator.ClassifyPending(ctx); err != nil {
		t.Fatal(err)
	}
	items, err := m.DB.RecentItems(ctx, "misc", 100)
	if err != nil || len(items) < 3 {
		t.Fatalf("misc items: %d, %v", len(items), err)
	}
	for _, it := range items[:3] {
		if err := m.DB.SetCuration(ctx, it.ID, feeds.Curation{Section: "industry"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.relearn(ctx); err != nil {
		t.Fatal(err)
	}
	model, weight := m.Curator.Ruleset().Model()
	if model == nil || model.Examples() != 3 || weight != cfg.Curator.LearnedWeight {
		t.Fatalf("after three moves: model %v (weight %v), want one trained on 3 examples", model, weight)
	}
	pending, err := m.DB.ItemsToClassify(ctx, m.Curator.Ruleset().Version(), 0, 1000)
	if err != nil || len(pending) == 0 {
		t.Errorf("no recent item queued to be decided again (%v)", err)
	}
	ex, err := ExplainStored(ctx, m.DB, m.Curator.Ruleset(), items[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Explanation.Learned == nil {
		t.Errorf("explain shows no learned part: %+v", ex.Explanation)
	}
	// Nothing new: no retraining.
	before := m.Curator.Ruleset()
	if err := m.relearn(ctx); err != nil {
		t.Fatal(err)
	}
	if m.Curator.Ruleset() != before {
		t.Error("retrained with no new label")
	}
}
