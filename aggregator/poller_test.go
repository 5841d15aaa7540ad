package aggregator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/feeds"
)

func TestPollOKThenNotModified(t *testing.T) {
	t.Parallel()
	const etag = `W/"abc"`
	const lastMod = "Sat, 01 Mar 2025 09:00:00 GMT"
	var mu sync.Mutex
	var reqs []http.Header
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Header.Clone())
		mu.Unlock()
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(rssDoc("Example", 0, "one", "two", "three")))
	}))
	c := newClock()
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(c), testLogger(t))
	p.SetSources([]feeds.Source{source(1, srv.URL)})

	var results []aggregator.Result
	sum := p.PollAll(context.Background(), func(r aggregator.Result) { results = append(results, r) })
	if sum.Sources != 1 || sum.OK != 1 || sum.New != 3 || len(results) != 1 {
		t.Fatalf("first poll: %+v %+v", sum, results)
	}
	st, _ := store.state(1)
	if st.ETag != etag || st.LastModified != lastMod || st.FeedTitle != "Example" || st.FeedLink != "https://example.org/" || st.FeedLang != "en" ||
		st.URL != srv.URL || st.LastStatus != 200 || !st.LastSuccess.Equal(t0) || !st.NextCheck.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("state after 200: %+v", st)
	}
	if results[0].Outcome != aggregator.OutcomeOK || !results[0].NextCheck.Equal(st.NextCheck) {
		t.Errorf("result: %+v", results[0])
	}

	c.Set(t0.Add(40 * time.Minute))
	r := pollOne(t, p, 1)
	if r.Outcome != aggregator.OutcomeNotModified || r.Err != nil || r.Stats != (feeds.SaveStats{}) {
		t.Fatalf("second poll: %+v", r)
	}
	mu.Lock()
	second := reqs[1]
	mu.Unlock()
	if second.Get("If-None-Match") != etag || second.Get("If-Modified-Since") != lastMod {
		t.Errorf("second request validators: %q %q", second.Get("If-None-Match"), second.Get("If-Modified-Since"))
	}
	st, _ = store.state(1)
	if st.ETag != etag || st.LastModified != lastMod || st.FeedTitle != "Example" || st.LastStatus != 304 ||
		!st.NextCheck.Equal(t0.Add(70*time.Minute)) || store.itemCount(1) != 3 {
		t.Errorf("state after 304: %+v", st)
	}
}

func TestPollRetryAfter(t *testing.T) {
	t.Parallel()
	c := newClock()
	mux := http.NewServeMux()
	status := func(path string, code int, retry func() string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", c.Now().Format(http.TimeFormat))
			if v := retry(); v != "" {
				w.Header().Set("Retry-After", v)
			}
			w.WriteHeader(code)
		})
	}
	status("/429", 429, func() string { return "7200" })
	status("/503", 503, func() string { return c.Now().Add(3 * time.Hour).Format(http.TimeFormat) })
	status("/429-huge", 429, func() string { return "1000000" })
	status("/429-short", 429, func() string { return "60" })
	status("/503-none", 503, func() string { return "" })
	status("/500", 500, func() string { return "7200" })
	srv := newServer(t, mux)

	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(c), testLogger(t))
	want := map[int64]time.Duration{
		1: 2 * time.Hour,    // seconds
		2: 3 * time.Hour,    // HTTP-date
		3: 24 * time.Hour,   // capped at MaxInterval
		4: 30 * time.Minute, // shorter than the backoff: backoff wins
		5: 30 * time.Minute, // none
		6: 30 * time.Minute, // ignored on 500
	}
	p.SetSources([]feeds.Source{
		source(1, srv.URL+"/429"), source(2, srv.URL+"/503"), source(3, srv.URL+"/429-huge"),
		source(4, srv.URL+"/429-short"), source(5, srv.URL+"/503-none"), source(6, srv.URL+"/500"),
	})
	sum := p.PollAll(context.Background(), nil)
	if sum.Errors != 6 {
		t.Fatalf("summary %+v", sum)
	}
	for id, d := range want {
		st, _ := store.state(id)
		if !st.NextCheck.Equal(t0.Add(d)) || st.ErrorCount != 1 {
			t.Errorf("source %d: next check in %v (want %v), errors %d", id, st.NextCheck.Sub(t0), d, st.ErrorCount)
		}
	}
}

func TestPollBackoff(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	fail.Store(true)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "oops", http.StatusInternalServerError)
			return
		}
		serveFeed("application/rss+xml", rssDoc("Back", 0, "one"))(w, r)
	}))
	c := newClock()
	opts := testOptions(c)
	opts.MaxInterval = time.Hour
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, opts, testLogger(t))
	src := source(1, srv.URL)
	src.Interval = 10 * time.Minute
	p.SetSources([]feeds.Source{src})

	now := t0
	for i, want := range []time.Duration{10, 20, 40, 60, 60} {
		c.Set(now)
		r := pollOne(t, p, 1)
		st, _ := store.state(1)
		if r.Outcome != aggregator.OutcomeError || st.ErrorCount != i+1 || st.LastStatus != 500 ||
			!st.NextCheck.Equal(now.Add(want*time.Minute)) || st.LastSuccess != (time.Time{}) {
			t.Fatalf("failure %d: next in %v (want %vm), state %+v", i+1, st.NextCheck.Sub(now), want, st)
		}
		if store.itemCount(1) != 0 {
			t.Fatalf("items stored on error")
		}
		now = st.NextCheck
	}

	fail.Store(false)
	c.Set(now)
	r := pollOne(t, p, 1)
	st, _ := store.state(1)
	if r.Outcome != aggregator.OutcomeOK || st.ErrorCount != 0 || st.LastError != "" || !st.NextCheck.Equal(now.Add(10*time.Minute)) {
		t.Errorf("after recovery: %+v", st)
	}
}

func TestPollNextCheckHints(t *testing.T) {
	t.Parallel()
	c := newClock()
	date := c.Now().Format(http.TimeFormat)
	mux := http.NewServeMux()
	with := func(path, body string, hdr map[string]string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			for k, v := range hdr {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			_, _ = w.Write([]byte(body))
		})
	}
	plain := rssDoc("Plain", 0, "one")
	with("/plain", plain, nil)
	with("/ttl", rssDoc("TTL", 120, "one"), nil)
	with("/ttl-short", rssDoc("TTL", 5, "one"), nil)
	with("/ttl-huge", rssDoc("TTL", 100000, "one"), nil)
	with("/maxage", plain, map[string]string{"Cache-Control": "max-age=3600"})
	with("/expires", plain, map[string]string{"Date": date, "Expires": c.Now().Add(5 * time.Hour).Format(http.TimeFormat)})
	with("/maxage-huge", plain, map[string]string{"Cache-Control": "max-age=999999"})
	srv := newServer(t, mux)

	for _, tc := range []struct {
		path string
		rand float64
		want time.Duration
	}{
		{"/plain", 0.5, 30 * time.Minute},
		{"/plain", 0, 27 * time.Minute}, // -10%
		{"/plain", 1, 33 * time.Minute}, // +10%
		{"/ttl", 0.5, 2 * time.Hour},    // <ttl>120</ttl>
		{"/ttl-short", 0.5, 30 * time.Minute},
		{"/ttl-huge", 0.5, 24 * time.Hour}, // capped
		{"/maxage", 0.5, time.Hour},
		{"/expires", 0.5, 5 * time.Hour},
		{"/maxage-huge", 0.5, 24 * time.Hour},
	} {
		opts := testOptions(c)
		opts.Rand = func() float64 { return tc.rand }
		store := newMemStore()
		p := aggregator.NewPoller(store, nil, opts, testLogger(t))
		p.SetSources([]feeds.Source{source(1, srv.URL+tc.path)})
		r := pollOne(t, p, 1)
		if r.Err != nil {
			t.Fatalf("%s: %v", tc.path, r.Err)
		}
		got := r.NextCheck.Sub(t0)
		if d := got - tc.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%s rand %v: next check in %v, want %v", tc.path, tc.rand, got, tc.want)
		}
	}

	// MinInterval is a floor.
	opts := testOptions(c)
	opts.MinInterval = 10 * time.Minute
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, opts, testLogger(t))
	src := source(1, srv.URL+"/plain")
	src.Interval = time.Minute
	p.SetSources([]feeds.Source{src})
	if r := pollOne(t, p, 1); !r.NextCheck.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("min interval: next check in %v", r.NextCheck.Sub(t0))
	}
}

func TestPollRedirectURL(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/feed", serveFeed("application/rss+xml", rssDoc("Moved", 0, "one")))
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/old308", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/feed", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/tmp", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/feed", http.StatusFound) })
	mux.HandleFunc("/tmp307", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/feed", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/missing", http.StatusMovedPermanently)
	})
	srv := newServer(t, mux)

	var logs syncBuffer
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), zerolog.New(&logs))
	p.SetSources([]feeds.Source{
		source(1, srv.URL+"/old"), source(2, srv.URL+"/old308"),
		source(3, srv.URL+"/tmp"), source(4, srv.URL+"/tmp307"), source(5, srv.URL+"/gone"),
	})
	p.PollAll(context.Background(), nil)
	for id, want := range map[int64]string{1: "/feed", 2: "/feed", 3: "/tmp", 4: "/tmp307", 5: "/gone"} {
		st, _ := store.state(id)
		if st.URL != srv.URL+want {
			t.Errorf("source %d: URL %q, want %q", id, st.URL, srv.URL+want)
		}
	}
	if n := len(logs.lines(`"message":"feed moved permanently"`)); n != 2 {
		t.Errorf("%d move lines:\n%s", n, strings.Join(logs.lines(), "\n"))
	}

	// The next poll goes straight to the new URL.
	p.PollAll(context.Background(), nil)
	if got := p.Sources()[0].State.URL; got != srv.URL+"/feed" {
		t.Errorf("URL after second poll %q", got)
	}
	if n := len(logs.lines(`"message":"feed moved permanently"`)); n != 2 {
		t.Errorf("move logged again: %d lines", n)
	}
}

func TestPollAllIsolatesFailures(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/good.rss", serveFeed("application/rss+xml", rssDoc("Good", 0, "a", "b")))
	mux.Handle("/good.atom", serveFeed("application/atom+xml", atomDoc))
	mux.Handle("/html", serveFeed("text/html", "<html><body><h1>Not here</h1></body></html>"))
	mux.Handle("/malformed", serveFeed("application/rss+xml", `<rss version="2.0"><channel><title>x</title><item><title>y</item>`))
	mux.HandleFunc("/missing", http.NotFound)
	srv := newServer(t, mux)

	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), testLogger(t))
	p.SetSources([]feeds.Source{
		source(1, srv.URL+"/good.rss"), source(2, srv.URL+"/html"), source(3, srv.URL+"/malformed"),
		source(4, srv.URL+"/missing"), source(5, srv.URL+"/good.atom"), source(6, "http://127.0.0.1:1/refused"),
	})
	byID := map[int64]aggregator.Result{}
	sum := p.PollAll(context.Background(), func(r aggregator.Result) { byID[r.Source.ID] = r })
	if sum.Sources != 6 || sum.OK != 2 || sum.Errors != 4 || sum.New != 3 {
		t.Errorf("summary %+v", sum)
	}
	if byID[1].Outcome != "ok" || byID[5].Outcome != "ok" || store.itemCount(1) != 2 || store.itemCount(5) != 1 {
		t.Errorf("good sources: %+v %+v", byID[1], byID[5])
	}
	for _, id := range []int64{2, 3, 4, 6} {
		r := byID[id]
		st, _ := store.state(id)
		if r.Outcome != "error" || r.Err == nil || st.ErrorCount != 1 || st.LastError != r.Err.Error() || store.itemCount(id) != 0 {
			t.Errorf("source %d: %+v, state %+v", id, r, st)
		}
	}
	if !errors.Is(byID[2].Err, feeds.ErrNotAFeed) {
		t.Errorf("html: %v", byID[2].Err)
	}
	if st, _ := store.state(4); st.LastStatus != 404 {
		t.Errorf("404 status %d", st.LastStatus)
	}
}

func TestPollPerHostLimit(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	cur := map[string]int{}
	peak := map[string]int{}
	total := 0
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cur[r.Host]++
		total++
		peak[r.Host] = max(peak[r.Host], cur[r.Host])
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // let requests overlap
		mu.Lock()
		cur[r.Host]--
		mu.Unlock()
		serveFeed("application/rss+xml", rssDoc("Host", 0, r.URL.Path))(w, r)
	}))
	// Two host names for the one server: each has its own limit.
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	opts := testOptions(newClock())
	opts.Workers, opts.PerHost = 8, 2
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, opts, testLogger(t))
	var srcs []feeds.Source
	for i := range int64(24) {
		base := srv.URL
		if i%3 == 0 {
			base = other
		}
		srcs = append(srcs, source(i+1, base+"/feed/"+string(rune('a'+i))))
	}
	p.SetSources(srcs)
	sum := p.PollAll(context.Background(), nil)
	if sum.OK != 24 || total != 24 {
		t.Fatalf("summary %+v, %d requests", sum, total)
	}
	for host, n := range peak {
		if n > 2 {
			t.Errorf("host %s: %d concurrent requests", host, n)
		}
	}
	if len(peak) != 2 {
		t.Errorf("hosts seen: %v", peak)
	}
}

func TestPollLogsOncePerChange(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	codes := []int{500, 500, 500, 404, 404, 200, 200}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		code := codes[0]
		codes = codes[1:]
		mu.Unlock()
		if code != 200 {
			w.WriteHeader(code)
			return
		}
		serveFeed("application/rss+xml", rssDoc("Flaky", 0, "one"))(w, r)
	}))

	var logs syncBuffer
	p := aggregator.NewPoller(newMemStore(), nil, testOptions(newClock()), zerolog.New(&logs).Level(zerolog.DebugLevel))
	src := source(7, srv.URL)
	src.Name = "flaky"
	p.SetSources([]feeds.Source{src})
	for range 7 {
		p.PollAll(context.Background(), nil)
	}

	warns := logs.lines(`"level":"warn"`)
	if len(warns) != 2 || !strings.Contains(warns[0], "status 500") || !strings.Contains(warns[1], "status 404") {
		t.Errorf("warnings:\n%s", strings.Join(warns, "\n"))
	}
	for _, l := range warns {
		for _, want := range []string{`"component":"aggregator"`, `"source_name":"flaky"`, `"source_url":"` + srv.URL + `"`, `"source_id":7`, `"message":"fetch failed"`} {
			if !strings.Contains(l, want) {
				t.Errorf("warning lacks %s: %s", want, l)
			}
		}
	}
	if n := len(logs.lines(`"level":"info"`, `"message":"source recovered"`, `"error_count":5`)); n != 1 {
		t.Errorf("%d recovery lines:\n%s", n, strings.Join(logs.lines(), "\n"))
	}
	if n := len(logs.lines(`"level":"debug"`, `"message":"fetched"`)); n != 2 {
		t.Errorf("%d debug fetch lines", n)
	}
}

func TestPollStoreError(t *testing.T) {
	t.Parallel()
	var sawETag atomic.Value
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawETag.Store(r.Header.Get("If-None-Match"))
		if r.Header.Get("If-None-Match") == `"x"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"x"`)
		serveFeed("application/rss+xml", rssDoc("Store", 0, "one", "two"))(w, r)
	}))
	var logs syncBuffer
	store := newMemStore()
	store.setErr(errors.New("database is locked"))
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), zerolog.New(&logs))
	p.SetSources([]feeds.Source{source(1, srv.URL)})

	for range 2 {
		r := pollOne(t, p, 1)
		if r.Outcome != aggregator.OutcomeError || !strings.Contains(r.Err.Error(), "database is locked") {
			t.Fatalf("result %+v", r)
		}
		if st := r.Source.State; st.ETag != "" || st.ErrorCount == 0 || !r.NextCheck.After(t0) {
			t.Errorf("in-memory state after store error: %+v", st)
		}
	}
	if n := len(logs.lines(`"level":"error"`, `"message":"save failed"`)); n != 1 {
		t.Errorf("%d save failure lines", n)
	}

	// Once the store works, the items arrive: the validators were not kept.
	store.setErr(nil)
	r := pollOne(t, p, 1)
	if r.Outcome != aggregator.OutcomeOK || r.Stats.New != 2 || store.itemCount(1) != 2 || sawETag.Load() != "" {
		t.Errorf("after store recovers: %+v", r)
	}
	if st, _ := store.state(1); st.ETag != `"x"` || st.ErrorCount != 0 {
		t.Errorf("state %+v", st)
	}
}

// eventually waits for cond to hold.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a hang guard, not a timing assertion
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}

// startRun runs p until the returned stop is called; stop returns Run's error.
func startRun(t *testing.T, p *aggregator.Poller) (cancel context.CancelFunc, wait func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	t.Cleanup(cancel)
	return cancel, func() error {
		select {
		case err := <-errc:
			return err
		case <-time.After(10 * time.Second): // hang guard
			t.Fatal("Run did not return")
			return nil
		}
	}
}

func TestRunSetSources(t *testing.T) {
	t.Parallel()
	var hits [3]atomic.Int32
	mux := http.NewServeMux()
	for i, path := range []string{"/a", "/b", "/c"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			serveFeed("application/rss+xml", rssDoc(path, 0, "one"))(w, r)
		})
	}
	srv := newServer(t, mux)
	c := newClock()
	store := newMemStore()
	store.saved = make(chan int64, 16)
	p := aggregator.NewPoller(store, nil, testOptions(c), testLogger(t))
	a, b, cc := source(1, srv.URL+"/a"), source(2, srv.URL+"/b"), source(3, srv.URL+"/c")
	cc.State.NextCheck = t0.Add(time.Hour) // known source, not due yet
	p.SetSources([]feeds.Source{a})

	cancel, wait := startRun(t, p)
	if ids := waitSaved(t, store, 1); ids[0] != 1 {
		t.Fatalf("saved %v", ids)
	}

	// Added while running: b is due now, c later; a keeps its schedule.
	p.SetSources([]feeds.Source{a, b, cc})
	if ids := waitSaved(t, store, 1); ids[0] != 2 {
		t.Fatalf("saved %v", ids)
	}
	// The save is reported before the poller reschedules the source.
	eventually(t, func() bool {
		got := p.Sources()
		return len(got) == 3 && got[0].State.NextCheck.Equal(t0.Add(30*time.Minute)) &&
			got[1].State.NextCheck.Equal(t0.Add(30*time.Minute)) && got[2].State.NextCheck.Equal(t0.Add(time.Hour))
	})

	// Everything is due now, but a is removed.
	c.Set(t0.Add(2 * time.Hour))
	p.SetSources([]feeds.Source{b, cc})
	ids := waitSaved(t, store, 2)
	if !(ids[0] == 2 && ids[1] == 3 || ids[0] == 3 && ids[1] == 2) {
		t.Fatalf("saved %v", ids)
	}
	if h := [3]int32{hits[0].Load(), hits[1].Load(), hits[2].Load()}; h != [3]int32{1, 2, 1} {
		t.Errorf("requests per source %v", h)
	}
	if got := p.Sources(); len(got) != 2 || got[0].ID != 2 || got[1].ID != 3 {
		t.Errorf("sources after removal: %+v", got)
	}

	cancel()
	if err := wait(); err != nil {
		t.Errorf("Run returned %v", err)
	}
}

func TestRunCancelInFlight(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	}))
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), testLogger(t))
	p.SetSources([]feeds.Source{source(1, srv.URL)})

	cancel, wait := startRun(t, p)
	<-entered
	cancel()
	if err := wait(); err != nil {
		t.Errorf("Run returned %v", err)
	}
	// The cancelled fetch is not the source's fault: nothing recorded.
	if n := store.saveCount(1); n != 0 {
		t.Errorf("%d saves", n)
	}
	if st := p.Sources()[0].State; st.ErrorCount != 0 || !st.NextCheck.Equal(t0) {
		t.Errorf("state %+v", st)
	}
}

func TestRunFinishesWriteOnCancel(t *testing.T) {
	t.Parallel()
	srv := newServer(t, serveFeed("application/rss+xml", rssDoc("Late", 0, "one")))
	saving := make(chan struct{})
	release := make(chan struct{})
	saveCtxErr := make(chan error, 1)
	store := newMemStore()
	store.before = func(ctx context.Context, id int64) {
		close(saving)
		<-release
		saveCtxErr <- ctx.Err()
	}
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), testLogger(t))
	p.SetSources([]feeds.Source{source(1, srv.URL)})

	cancel, wait := startRun(t, p)
	<-saving
	cancel()
	close(release)
	if err := wait(); err != nil {
		t.Errorf("Run returned %v", err)
	}
	if err := <-saveCtxErr; err != nil {
		t.Errorf("save context: %v", err)
	}
	if store.saveCount(1) != 1 || store.itemCount(1) != 1 {
		t.Errorf("result lost: %d saves, %d items", store.saveCount(1), store.itemCount(1))
	}
}

func TestPollAllCancelled(t *testing.T) {
	t.Parallel()
	srv := newServer(t, serveFeed("application/rss+xml", rssDoc("X", 0, "one")))
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), testLogger(t))
	p.SetSources([]feeds.Source{source(1, srv.URL), source(2, srv.URL+"/2")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sum := p.PollAll(ctx, nil); sum.Sources != 0 {
		t.Errorf("summary %+v", sum)
	}
	// Nothing was lost from the schedule.
	if got := p.Sources(); len(got) != 2 {
		t.Errorf("sources %+v", got)
	}
	if sum := p.PollAll(context.Background(), nil); sum.OK != 2 {
		t.Errorf("summary %+v", sum)
	}
}

// TestPollParsesChangedItemsOnly checks what the store sees when a feed
// changes: the new and edited items, with the unchanged ones counted but
// neither parsed nor sent again; and everything again after a failed save.
func TestPollParsesChangedItemsOnly(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	body := rssDoc("Example", 0, "one", "two", "three")
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(body))
	}))
	setBody := func(b string) {
		mu.Lock()
		body = b
		mu.Unlock()
	}
	c := newClock()
	store := newMemStore()
	var sent []int
	p := aggregator.NewPoller(&countingStore{memStore: store, sent: &sent}, nil, testOptions(c), testLogger(t))
	p.SetSources([]feeds.Source{source(1, srv.URL)})

	check := func(name string, want feeds.SaveStats, wantSent int) {
		t.Helper()
		r := pollOne(t, p, 1)
		if r.Err != nil || r.Stats != want || sent[len(sent)-1] != wantSent {
			t.Errorf("%s: %+v, %d items sent, err %v; want %+v, %d sent", name, r.Stats, sent[len(sent)-1], r.Err, want, wantSent)
		}
	}
	check("first", feeds.SaveStats{New: 3}, 3)
	check("same document", feeds.SaveStats{Unchanged: 3}, 0)
	// rssDoc numbers links and GUIDs by position: a new item at the tail
	// leaves the others as they were.
	setBody(rssDoc("Example", 0, "one", "two", "three", "four"))
	check("new item", feeds.SaveStats{New: 1, Unchanged: 3}, 1)
	// An edit parses the whole document again.
	setBody(rssDoc("Example", 0, "one", "TWO", "three", "four"))
	check("edited item", feeds.SaveStats{Updated: 1, Unchanged: 3}, 4)
	if n := store.itemCount(1); n != 4 {
		t.Errorf("store has %d items, want 4", n)
	}

	// A failed save forgets the digest: the next fetch sends every item.
	setBody(rssDoc("Example", 0, "one", "TWO", "three", "four", "five"))
	store.setErr(errors.New("disk full"))
	if r := pollOne(t, p, 1); r.Err == nil {
		t.Fatal("save did not fail")
	}
	store.setErr(nil)
	check("after a failed save", feeds.SaveStats{New: 1, Unchanged: 4}, 5)
}

// countingStore records how many items each SaveFetch carried.
type countingStore struct {
	*memStore
	sent *[]int
}

func (s *countingStore) SaveFetch(ctx context.Context, id int64, st feeds.FetchState, items []feeds.Item, now time.Time) (feeds.SaveStats, error) {
	s.memStore.mu.Lock()
	*s.sent = append(*s.sent, len(items))
	s.memStore.mu.Unlock()
	return s.memStore.SaveFetch(ctx, id, st, items, now)
}

// TestPollLogsOncePerKind: a failure is logged again when its kind
// changes, not when its text does. Here the status (and so the text) varies
// from poll to poll within one kind, 5xx, as addresses and timings vary in
// the text of network and TLS errors; then the kind changes to 4xx.
func TestPollLogsOncePerKind(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	codes := []int{500, 502, 503, 504, 500, 404, 403, 410}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		code := codes[0]
		codes = codes[1:]
		mu.Unlock()
		w.WriteHeader(code)
	}))
	var logs syncBuffer
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), zerolog.New(&logs).Level(zerolog.DebugLevel))
	p.SetSources([]feeds.Source{source(7, srv.URL)})
	var texts []string
	for range 7 {
		r := pollOne(t, p, 7)
		texts = append(texts, r.Err.Error())
	}
	warns := logs.lines(`"level":"warn"`)
	if len(warns) != 2 || !strings.Contains(warns[0], `"error_kind":"http_5xx"`) || !strings.Contains(warns[1], `"error_kind":"http_4xx"`) {
		t.Errorf("%d warnings for errors %q, want one per kind (5xx, 4xx):\n%s", len(warns), texts, strings.Join(warns, "\n"))
	}
	if st, _ := store.state(7); st.LastError != texts[len(texts)-1] || st.ErrorCount != 7 {
		t.Errorf("stored state %+v: the last error and the count are still kept", st)
	}
}

// TestPollGone: a 410 marks the source gone; it is not scheduled or polled
// again.
func TestPollGone(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusGone)
	}))
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), testLogger(t))
	p.SetSources([]feeds.Source{source(1, srv.URL)})
	r := pollOne(t, p, 1)
	st, _ := store.state(1)
	if r.Outcome != aggregator.OutcomeError || !st.Gone || !st.NextCheck.IsZero() || st.LastStatus != http.StatusGone {
		t.Fatalf("after a 410: outcome %s, stored state %+v; want gone with no next check", r.Outcome, st)
	}
	if srcs := p.Sources(); len(srcs) != 1 || !srcs[0].State.Gone {
		t.Errorf("poller's sources %+v: want the source kept, gone", srcs)
	}
	if sum := p.PollAll(context.Background(), nil); sum.Sources != 0 {
		t.Errorf("second poll: %+v; a gone source is not polled", sum)
	}
	// Given again (a restart reading the store), it stays unscheduled.
	src := source(1, srv.URL)
	src.State = st
	p2 := aggregator.NewPoller(store, nil, testOptions(newClock()), testLogger(t))
	p2.SetSources([]feeds.Source{src})
	p2.PollAll(context.Background(), nil)
	if n := hits.Load(); n != 1 {
		t.Errorf("the server was asked %d times, want 1", n)
	}
}

// TestPollRedactsSourceURL: credentials in a source's URL reach neither
// the logs nor the stored last error.
func TestPollRedactsSourceURL(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new?access_token=hunter2", http.StatusMovedPermanently)
	})
	mux.Handle("/new", serveFeed("application/rss+xml", rssDoc("Moved", 0, "a")))
	srv := newServer(t, mux)
	creds := strings.Replace(srv.URL, "http://", "http://alice:hunter2@", 1)

	var logs syncBuffer
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, testOptions(newClock()), zerolog.New(&logs).Level(zerolog.DebugLevel))
	p.SetSources([]feeds.Source{source(1, creds+"/down?private_token=hunter2"), source(2, srv.URL+"/old?key=hunter2")})
	p.PollAll(context.Background(), nil)
	if l := logs.lines("hunter2"); len(l) > 0 {
		t.Errorf("log lines show a credential:\n%s", strings.Join(l, "\n"))
	}
	if n := len(logs.lines(`"source_url":"` + srv.URL + `/down?private_token=REDACTED"`)); n != 1 {
		t.Errorf("%d lines with the redacted URL:\n%s", n, strings.Join(logs.lines(), "\n"))
	}
	if st, _ := store.state(1); st.LastError == "" || strings.Contains(st.LastError, "hunter2") {
		t.Errorf("stored last error %q", st.LastError)
	}
}

// hostileFeed is an RSS document with ns namespace declarations on its
// channel and items items of elements in those namespaces: every element
// made the XML parser copy every binding.
func hostileFeed(ns, items int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel`)
	for i := range ns {
		fmt.Fprintf(&b, ` xmlns:n%d="http://example.com/ns/%d"`, i, i)
	}
	b.WriteString(`><title>Hostile</title><link>https://example.com/</link>`)
	for i := range items {
		a, c := i%ns, (i+1)%ns
		fmt.Fprintf(&b, `<item><title>item %d</title><link>https://example.com/%d</link><n%d:a>x</n%d:a><n%d:b>y</n%d:b></item>`, i, i, a, a, c, c)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// TestPollBoundsParsing: a document that would hold a worker for minutes
// (2,000 namespace declarations and 20,000 items of prefixed elements) is
// a fetch error of its source, of kind too_complex; one with 5,000 plain
// items gives the first DefaultMaxItems; the other sources of the same
// poll succeed.
func TestPollBoundsParsing(t *testing.T) {
	t.Parallel()
	many := make([]string, 5000)
	for i := range many {
		many[i] = fmt.Sprintf("item %d", i)
	}
	mux := http.NewServeMux()
	mux.Handle("/hostile", serveFeed("application/rss+xml", hostileFeed(2000, 20000)))
	mux.Handle("/many", serveFeed("application/rss+xml", rssDoc("Many", 0, many...)))
	mux.Handle("/good", serveFeed("application/rss+xml", rssDoc("Good", 0, "a", "b")))
	srv := newServer(t, mux)

	opts := testOptions(newClock())
	opts.Timeout = 10 * time.Second
	opts.MaxBodySize = 16 << 20
	var logs syncBuffer
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, opts, zerolog.New(&logs))
	p.SetSources([]feeds.Source{source(1, srv.URL+"/hostile"), source(2, srv.URL+"/many"), source(3, srv.URL+"/good")})
	byID := map[int64]aggregator.Result{}
	p.PollAll(context.Background(), func(r aggregator.Result) { byID[r.Source.ID] = r })

	if r := byID[1]; r.Outcome != aggregator.OutcomeError || aggregator.ErrorKind(r.Err) != aggregator.KindTooComplex || store.itemCount(1) != 0 {
		t.Errorf("hostile source: outcome %s, error %v (kind %q), %d items stored; want a too_complex error", r.Outcome, r.Err, aggregator.ErrorKind(r.Err), store.itemCount(1))
	}
	if st, _ := store.state(1); st.ErrorCount != 1 || !strings.Contains(st.LastError, "too complex") {
		t.Errorf("hostile source's stored state %+v", st)
	}
	if len(logs.lines(`"error_kind":"too_complex"`, `"source_id":1`)) != 1 {
		t.Errorf("no warning of kind too_complex:\n%s", strings.Join(logs.lines(), "\n"))
	}
	if r, n := byID[2], store.itemCount(2); r.Outcome != aggregator.OutcomeOK || n != feeds.DefaultMaxItems {
		t.Errorf("5,000 items: outcome %s (%v), %d stored; want %d", r.Outcome, r.Err, n, feeds.DefaultMaxItems)
	}
	if r := byID[3]; r.Outcome != aggregator.OutcomeOK || store.itemCount(3) != 2 {
		t.Errorf("good source beside them: %+v", r)
	}
}

// TestPollParseDeadline: a parse still running when the fetch's timeout
// passes stops there, and the source fails with a timeout. The document
// is within the parser's limits but slow to parse (thousands of namespace
// bindings copied for each of its elements), and the timeout is shorter
// than any parse of it takes.
func TestPollParseDeadline(t *testing.T) {
	t.Parallel()
	srv := newServer(t, serveFeed("application/rss+xml", hostileFeed(1000, 1500)))
	opts := testOptions(newClock())
	opts.Timeout = 50 * time.Millisecond
	store := newMemStore()
	p := aggregator.NewPoller(store, nil, opts, testLogger(t))
	p.SetSources([]feeds.Source{source(1, srv.URL)})
	r := pollOne(t, p, 1)
	if r.Outcome != aggregator.OutcomeError || aggregator.ErrorKind(r.Err) != aggregator.KindTimeout || store.itemCount(1) != 0 {
		t.Errorf("outcome %s, error %v (kind %q), %d items stored; want a timeout", r.Outcome, r.Err, aggregator.ErrorKind(r.Err), store.itemCount(1))
	}
}

// TestPollTLSFailureLoggedOnce: a server whose certificate nobody trusts
// fails every poll with an error of kind tls, logged once.
func TestPollTLSFailureLoggedOnce(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(serveFeed("application/rss+xml", rssDoc("TLS", 0, "a")))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var logs syncBuffer
	p := aggregator.NewPoller(newMemStore(), nil, testOptions(newClock()), zerolog.New(&logs))
	p.SetSources([]feeds.Source{source(1, srv.URL)})
	for range 3 {
		if r := pollOne(t, p, 1); aggregator.ErrorKind(r.Err) != aggregator.KindTLS {
			t.Errorf("error %v: kind %q, want tls", r.Err, aggregator.ErrorKind(r.Err))
		}
	}
	if l := logs.lines(`"level":"warn"`); len(l) != 1 || !strings.Contains(l[0], `"error_kind":"tls"`) {
		t.Errorf("warnings:\n%s", strings.Join(l, "\n"))
	}
}
