package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// TestSaveFetch_Concurrent saves many sources' fetches at once, as the
// poller does, and checks that each one's stats and items are its own.
func TestSaveFetch_Concurrent(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const sources, rounds, perFetch = 40, 5, 4
	var urls []string
	for i := range sources {
		urls = append(urls, fmt.Sprintf("https://example.com/%d", i))
	}
	srcs := mustSync(t, db, urls...)
	var wg sync.WaitGroup
	for _, src := range srcs {
		wg.Go(func() {
			for r := range rounds {
				// Each round lists the previous round's items again, and
				// perFetch new ones.
				var items []feeds.Item
				for k := max(0, r-1) * perFetch; k < (r+1)*perFetch; k++ {
					items = append(items, newItem(fmt.Sprintf("%d-%d", src.ID, k), testNow))
				}
				st := feeds.FetchState{URL: src.ConfigURL, ETag: fmt.Sprint(r)}
				stats, err := db.SaveFetch(ctx, src.ID, st, items, testNow)
				if err != nil {
					t.Error(err)
					return
				}
				want := feeds.SaveStats{New: perFetch, Unchanged: len(items) - perFetch}
				if stats != want {
					t.Errorf("source %d round %d: %+v, want %+v", src.ID, r, stats, want)
				}
			}
		})
	}
	wg.Wait()
	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if counts[s.ID] != rounds*perFetch || s.State.ETag != fmt.Sprint(rounds-1) {
			t.Errorf("source %d: %d items, etag %q", s.ID, counts[s.ID], s.State.ETag)
		}
	}
}

// TestSaveFetch_Close closes the store while fetches are being saved: each
// save either succeeded, and is in the file, or failed with ErrClosed, and
// is not; saves after Close fail.
func TestSaveFetch_Close(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const sources = 30
	var urls []string
	for i := range sources {
		urls = append(urls, fmt.Sprintf("https://example.com/%d", i))
	}
	srcs := mustSync(t, db, urls...)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		saved   = map[int64]int{} // source -> fetches saved
		started atomic.Int64
	)
	for _, src := range srcs {
		wg.Go(func() {
			for k := 0; ; k++ {
				started.Add(1)
				_, err := db.SaveFetch(ctx, src.ID, feeds.FetchState{URL: src.ConfigURL}, []feeds.Item{newItem(fmt.Sprintf("%d-%d", src.ID, k), testNow)}, testNow)
				if errors.Is(err, sqlite.ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				saved[src.ID]++
				mu.Unlock()
			}
		})
	}
	for started.Load() < 3*sources {
		time.Sleep(time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := db.SaveFetch(ctx, srcs[0].ID, feeds.FetchState{URL: "x"}, nil, testNow); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("SaveFetch after Close: %v, want ErrClosed", err)
	}

	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts, err := db.SourceItemCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if counts[s.ID] != saved[s.ID] {
			t.Errorf("source %d: %d items in the file, %d saves succeeded", s.ID, counts[s.ID], saved[s.ID])
		}
	}
}

// TestVersion_SeesCommits checks that Version, however many calls share a
// read, never misses a commit that completed before it was called.
func TestVersion_SeesCommits(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	src := mustSync(t, db, "https://example.com/a")[0]
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 8 { // the publisher's concurrent requests
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := db.Version(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	last := mustVersion(t, db)
	for k := range 200 {
		if _, err := db.SaveFetch(ctx, src.ID, feeds.FetchState{URL: src.ConfigURL}, []feeds.Item{newItem(fmt.Sprint(k), testNow)}, testNow); err != nil {
			t.Fatal(err)
		}
		v := mustVersion(t, db)
		if v <= last {
			t.Fatalf("save %d: version %d after a commit, was %d before", k, v, last)
		}
		last = v
	}
	close(done)
	readers.Wait()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Version(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Version with a cancelled context: %v", err)
	}
}
