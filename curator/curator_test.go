package curator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/feeds"
)

// memStore is an in-memory curator.Store: the curator's own consumer
// interface, two methods wide. The SQLite implementation is tested against
// the same contract in package sqlite and end to end in cmd/feedcurator.
type memStore struct {
	mu      sync.Mutex
	items   map[int64]*feeds.Item
	version map[int64]string
}

func newMemStore(items ...feeds.Item) *memStore {
	s := &memStore{items: map[int64]*feeds.Item{}, version: map[int64]string{}}
	for i := range items {
		it := items[i]
		it.ID = int64(i + 1)
		s.items[it.ID] = &it
	}
	return s
}

func (s *memStore) ItemsToClassify(_ context.Context, v string, after int64, limit int) ([]feeds.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id := range s.items {
		if id > after && s.version[id] != v {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]feeds.Item, len(ids))
	for i, id := range ids {
		out[i] = *s.items[id]
	}
	return out, nil
}

func (s *memStore) SetSections(_ context.Context, v string, cs []feeds.Classification) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := 0
	for _, c := range cs {
		it := s.items[c.ItemID]
		if it.Section != c.Section {
			changed++
		}
		it.Section = c.Section
		s.version[c.ItemID] = v
	}
	return changed, nil
}

func (s *memStore) section(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.items[id].Section
}

func TestClassifyPendingAndReclassify(t *testing.T) {
	var items []feeds.Item
	for i := 0; i < 1200; i++ { // more than one batch
		items = append(items, feeds.Item{Title: fmt.Sprintf("Docker tip %d", i)})
	}
	items = append(items, feeds.Item{Title: "Rust news"})
	st := newMemStore(items...)
	rs := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 1})
	c := curator.New(st, rs, 0, zerolog.New(zerolog.NewTestWriter(t)))
	n, changed, err := c.ClassifyPending(context.Background())
	if err != nil || n != 1201 || changed != 1201 {
		t.Fatalf("n=%d changed=%d err=%v", n, changed, err)
	}
	if n, _, _ := c.ClassifyPending(context.Background()); n != 0 {
		t.Errorf("second pass classified %d, want 0", n)
	}
	if st.section(1201) != "misc" {
		t.Errorf("rust item in %s", st.section(1201))
	}

	// New rules: every item is looked at once more; only rust moves.
	secs := append([]curator.SectionSpec(nil), digestSections...)
	secs[2] = curator.SectionSpec{ID: "industry", Title: "业内动态", Rules: []curator.RuleSpec{{Keywords: []string{"rust"}}}}
	c.SetRuleset(mustCompile(t, secs, curator.Options{Fallback: "misc", Threshold: 1}))
	n, changed, err = c.ClassifyPending(context.Background())
	if err != nil || n != 1201 || changed != 1 {
		t.Fatalf("after rule change: n=%d changed=%d err=%v", n, changed, err)
	}
	if st.section(1201) != "industry" {
		t.Errorf("rust item in %s after rule change", st.section(1201))
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	st := newMemStore(feeds.Item{Title: "Kubernetes 实践"})
	rs := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 1})
	c := curator.New(st, rs, time.Hour, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	for st.section(1) == "" {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st.section(1) != "paas" {
		t.Errorf("section %s", st.section(1))
	}
}

// liveStore is a memStore that is also a curator.LiveStore: it records the
// decider Run lends it, and tells when decisions are stored.
type liveStore struct {
	*memStore
	deciders chan func([]feeds.Item) (string, []feeds.Classification) // each SetDecider call
	queued   chan struct{}
	stored   chan int // the size of each SetSections call
}

func (s *liveStore) SetDecider(d func([]feeds.Item) (string, []feeds.Classification)) {
	s.deciders <- d
}

func (s *liveStore) ItemsQueued() <-chan struct{} { return s.queued }

func (s *liveStore) SetSections(ctx context.Context, v string, cs []feeds.Classification) (int, error) {
	n, err := s.memStore.SetSections(ctx, v, cs)
	s.stored <- len(cs)
	return n, err
}

// TestRunWithLiveStore: Run lends the store its decider while it runs,
// whose decisions are those of a pass, and with no timer it classifies
// what the store queues when the store says so.
func TestRunWithLiveStore(t *testing.T) {
	st := &liveStore{memStore: newMemStore(feeds.Item{Title: "Kubernetes 实践"}),
		deciders: make(chan func([]feeds.Item) (string, []feeds.Classification), 2),
		queued:   make(chan struct{}, 1), stored: make(chan int, 4)}
	rs := mustCompile(t, digestSections, curator.Options{Fallback: "misc", Threshold: 1})
	c := curator.New(st, rs, 0, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()

	decide := <-st.deciders
	if decide == nil {
		t.Fatal("Run lent the store no decider")
	}
	if n := <-st.stored; n != 1 {
		t.Errorf("first pass stored %d decisions, want the stored item's", n)
	}
	items := []feeds.Item{{ID: 7, Title: "Kubernetes 实践"}, {ID: 8, Title: "Rust news"}}
	v, cs := decide(items)
	if v != rs.Version() || len(cs) != 2 {
		t.Fatalf("decider: version %q, %d decisions; want %q, 2", v, len(cs), rs.Version())
	}
	for i, c := range cs {
		d := rs.Classify(&items[i])
		url, key := curator.Fingerprint(&items[i])
		want := feeds.Classification{ItemID: items[i].ID, Section: d.Section, Score: d.Score, Excluded: d.Excluded, Review: d.Review,
			CanonicalURL: url, TitleKey: key}
		if c != want {
			t.Errorf("decider on %q: %+v, want %+v", items[i].Title, c, want)
		}
	}

	// An item queued for classification, and the store's signal.
	st.mu.Lock()
	st.items[2] = &feeds.Item{ID: 2, Title: "Rust news"}
	st.mu.Unlock()
	st.queued <- struct{}{}
	if n := <-st.stored; n != 1 {
		t.Errorf("pass after the signal stored %d decisions, want 1", n)
	}
	if st.section(2) != "misc" {
		t.Errorf("queued item in %q, want misc", st.section(2))
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if d := <-st.deciders; d != nil {
		t.Error("Run returned without taking its decider back")
	}
}

// TestExplainGolden keeps the explanation formats stable: the JSON is stored
// with every item and served by the API, the text is what `feedcurator
// explain` prints. Refresh with go test -update after a deliberate change.
func TestExplainGolden(t *testing.T) {
	secs := append([]curator.SectionSpec(nil), digestSections...)
	secs[1].Rules = append(secs[1].Rules[:2:2], curator.RuleSpec{
		Name:   "kubernetes in production",
		Weight: 1.5,
		All: []curator.RuleSpec{
			{Keywords: []string{"kubernetes", "k8s"}},
			{Keywords: []string{"生产", "production"}, Regex: []string{`\d+ ?(个)?节点`}},
		},
		None: []curator.RuleSpec{{Keywords: []string{"招聘"}}},
	})
	rs := mustCompile(t, secs, curator.Options{
		Fallback:  "misc",
		Threshold: 3,
		Exclude:   []curator.RuleSpec{{Name: "ads", Keywords: []string{"广告"}, Fields: []string{"title"}}},
		Sources: []curator.SourceOptions{
			{Name: "Kubernetes Blog", Section: "paas"},
			{Name: "TechCrunch", Bias: map[string]float64{"industry": 1.5}},
		},
	})
	items := []feeds.Item{
		{Title: "Kubernetes 落地实践：容器编排", Summary: "<p>Docker &amp; Mesos</p>"},
		{Title: "K8S 生產環境：5000 节点的集群", Summary: "在生产环境运行 Kubernetes"},
		{Title: "Mesos 公司完成新一轮融资", Stored: feeds.Stored{SourceName: "TechCrunch"}},
		{Title: "Spotlight on SIG Docs", Stored: feeds.Stored{SourceName: "Kubernetes Blog"}},
		{Title: "Rust 1.0", Summary: "docker"},
		{Title: "【广告】Docker 企业版限时优惠"},
	}
	var exs []curator.Explanation
	var text strings.Builder
	for i := range items {
		ex := rs.Explain(&items[i])
		exs = append(exs, ex)
		fmt.Fprintf(&text, "=== %s\n", items[i].Title)
		if err := ex.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		text.WriteString("\n")
	}
	got, err := json.MarshalIndent(exs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "explain.golden.json"), got)
	checkGolden(t, filepath.Join("testdata", "explain.golden.txt"), []byte(text.String()))
}
