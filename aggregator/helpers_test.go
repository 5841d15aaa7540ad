package aggregator_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/feeds"
)

// t0 is the fake clock's start: whole seconds, so HTTP dates round-trip.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// testOptions: no jitter effect (Rand 0.5), fake clock, small pool.
func testOptions(c *clock) aggregator.Options {
	return aggregator.Options{
		DefaultInterval: 30 * time.Minute,
		MinInterval:     time.Minute,
		MaxInterval:     24 * time.Hour,
		Jitter:          0.1,
		Workers:         4,
		PerHost:         2,
		Timeout:         30 * time.Second, // tests of timeouts set their own
		MaxBodySize:     1 << 20,
		UserAgent:       "feedcurator-test",
		Now:             c.Now,
		Rand:            func() float64 { return 0.5 },
	}
}

// memStore is an in-memory aggregator.Store.
type memStore struct {
	mu     sync.Mutex
	states map[int64]feeds.FetchState
	items  map[int64]map[string]feeds.Item // source ID -> key -> item
	saves  map[int64]int
	err    error                                     // returned by SaveFetch when set
	before func(ctx context.Context, sourceID int64) // called first, unlocked
	saved  chan int64                                // receives each saved source ID if non-nil
}

func newMemStore() *memStore {
	return &memStore{
		states: map[int64]feeds.FetchState{},
		items:  map[int64]map[string]feeds.Item{},
		saves:  map[int64]int{},
	}
}

func (s *memStore) SaveFetch(ctx context.Context, sourceID int64, st feeds.FetchState, items []feeds.Item, now time.Time) (feeds.SaveStats, error) {
	if s.before != nil {
		s.before(ctx, sourceID)
	}
	if err := ctx.Err(); err != nil {
		return feeds.SaveStats{}, err
	}
	s.mu.Lock()
	var stats feeds.SaveStats
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return stats, err
	}
	s.states[sourceID] = st
	s.saves[sourceID]++
	m := s.items[sourceID]
	if m == nil {
		m = map[string]feeds.Item{}
		s.items[sourceID] = m
	}
	for _, it := range items {
		old, ok := m[it.Key]
		switch {
		case !ok:
			stats.New++
		case old.Hash != it.Hash:
			stats.Updated++
		default:
			stats.Unchanged++
		}
		it.FetchedAt = now
		m[it.Key] = it
	}
	s.mu.Unlock()
	if s.saved != nil {
		s.saved <- sourceID
	}
	return stats, nil
}

func (s *memStore) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *memStore) state(id int64) (feeds.FetchState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.states[id]
	return st, ok
}

func (s *memStore) itemCount(id int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items[id])
}

func (s *memStore) saveCount(id int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves[id]
}

// waitSaved waits for n saves reported on s.saved and returns their IDs.
func waitSaved(t *testing.T, s *memStore, n int) []int64 {
	t.Helper()
	var ids []int64
	deadline := time.After(10 * time.Second) // a hang guard, not a timing assertion
	for len(ids) < n {
		select {
		case id := <-s.saved:
			ids = append(ids, id)
		case <-deadline:
			t.Fatalf("waited for %d saves, got %v", n, ids)
		}
	}
	return ids
}

// syncBuffer collects log output from concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log lines containing every one of subs.
func (b *syncBuffer) lines(subs ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		match := l != ""
		for _, s := range subs {
			match = match && strings.Contains(l, s)
		}
		if match {
			out = append(out, l)
		}
	}
	return out
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)
}

// rssDoc is a small RSS 2.0 document. ttl is in minutes, 0 for none.
func rssDoc(title string, ttl int, items ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<rss version="2.0"><channel>`)
	fmt.Fprintf(&b, "<title>%s</title><link>https://example.org/</link><language>en</language>", title)
	if ttl > 0 {
		fmt.Fprintf(&b, "<ttl>%d</ttl>", ttl)
	}
	for i, it := range items {
		fmt.Fprintf(&b, "<item><title>%s</title><link>https://example.org/%d</link><guid>%s-%d</guid><description>about %s</description></item>", it, i, title, i, it)
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

const atomDoc = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Example</title>
  <link href="https://atom.example.org/"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2025-02-28T18:30:02Z</updated>
  <entry>
    <title>First entry</title>
    <link href="/2025/first"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <updated>2025-02-28T18:30:02Z</updated>
    <summary>Some text.</summary>
  </entry>
</feed>`

// serveFeed returns a handler writing body with the given content type.
func serveFeed(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write([]byte(body))
	}
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func source(id int64, url string) feeds.Source {
	return feeds.Source{ID: id, Name: fmt.Sprintf("source-%d", id), ConfigURL: url}
}

// pollOne polls the poller's sources once and returns the result for id.
func pollOne(t *testing.T, p *aggregator.Poller, id int64) aggregator.Result {
	t.Helper()
	var got *aggregator.Result
	p.PollAll(context.Background(), func(r aggregator.Result) {
		if r.Source.ID == id {
			got = &r
		}
	})
	if got == nil {
		t.Fatalf("no result for source %d", id)
	}
	return *got
}
