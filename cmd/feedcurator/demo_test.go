package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/internal/testutil"
	"github.com/feedcurator/feedcurator/sqlite"
)

// TestDemo runs `feedcurator demo` as a newcomer would: it prints a URL, and
// within seconds that URL serves a curated feed of the bundled samples.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--database", filepath.Join(t.TempDir(), "demo.db"), "--log-level", "warn"}, &out, &errOut)
	}()
	url := demoURL(t, &out)
	body := demoFeed(t, url)
	for _, section := range []string{`term="containers"`, `term="paas"`, `term="industry"`, `term="misc"`} {
		if !bytes.Contains(body, []byte(section)) {
			t.Errorf("demo feed has no entry in %s", section)
		}
	}
	validateAtom(t, body)
	// The desk takes the password the demo printed, and shows the week's
	// draft with the samples in it.
	m := regexp.MustCompile(`the editor's desk: (http://\S+/desk/) \(password for this run: (\S+)\)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the demo names no desk and password:\n%s", out.String())
	}
	if page := deskDraft(t, m[1], m[2]); strings.Count(page, `class="entry`) < 4 {
		t.Errorf("the desk's draft shows fewer than 4 entries:\n%s", page)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo exited %d: %s", code, errOut.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("demo did not stop")
	}
}

// TestDemoTwice runs the demo twice on one database, as a newcomer
// restarting it would: the sample feeds get a new port, yet they are the same
// sources, no entry is doubled or "also seen in" itself, and the demo says
// it reused the database.
func TestDemoTwice(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	var first []byte
	for run := 1; run <= 2; run++ {
		started := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		var out syncBuffer
		var errOut syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- Execute(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--database", db, "--log-level", "warn"}, &out, &errOut)
		}()
		url := demoURL(t, &out)
		if run == 2 && !strings.Contains(out.String(), "reused") {
			t.Errorf("the second run does not say it reused the database:\n%s", out.String())
		}
		demoFeed(t, url) // the daemon serves its feed
		var body []byte
		{
			// Each run fetches every sample feed (the second from its new
			// port) and classifies what it fetched before the feed is read
			// for the count: items are published source by source as they
			// are stored, so a feed read earlier may lack a source's.
			waitFor(t, fmt.Sprintf("run %d to fetch every sample feed", run), func() bool {
				store, err := sqlite.Open(context.Background(), db)
				if err != nil {
					return false
				}
				defer store.Close()
				srcs, err := store.Sources(context.Background())
				if err != nil || len(srcs) != 5 {
					return false
				}
				for _, s := range srcs {
					if s.State.LastSuccess.Before(started.Truncate(time.Millisecond)) {
						return false
					}
				}
				return true
			})
			waitFor(t, fmt.Sprintf("the curator to classify what run %d fetched", run), func() bool {
				st, err := sqliteStats(db)
				return err == nil && st.Unclassified == 0
			})
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("run %d exited %d: %s", run, code, errOut.String())
		}
		if bytes.Contains(body, []byte(`rel="related"`)) || bytes.Contains(body, []byte("也见于")) {
			t.Errorf("run %d: entries are near-duplicates of themselves:\n%s", run, body)
		}
		if run == 1 {
			first = body
		} else if n1, n2 := bytes.Count(first, []byte("<entry")), bytes.Count(body, []byte("<entry")); n1 != n2 {
			t.Errorf("the feed had %d entries, %d after a restart of the demo", n1, n2)
		}
	}
	// sources says which URLs changed.
	out, errOut, code := run(t, "sources", "--config", filepath.Join("..", "..", "config.example.yaml"), "--database", db)
	if code != 0 || strings.Count(out, "URL changed") != 5 {
		t.Errorf("sources after the second run: exit %d, want 5 URL changes\n%s%s", code, out, errOut)
	}
	st, err := sqliteStats(db)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sources != 5 || st.Duplicates != 0 || st.Items != demoItemCount(t) {
		t.Errorf("after two runs: %d sources, %d items (%d near-duplicates), want 5 sources and %d items, none duplicated",
			st.Sources, st.Items, st.Duplicates, demoItemCount(t))
	}
}

// deskDraft signs in to the desk at deskURL with password and returns the
// draft page it lands on.
func deskDraft(t *testing.T, deskURL, password string) string {
	t.Helper()
	_, page, at := testutil.DeskSignIn(t, strings.TrimSuffix(deskURL, "/desk/"), password)
	if !strings.HasPrefix(at.Path, "/desk/issue/") {
		t.Fatalf("signing in ends at %s:\n%s", at, page)
	}
	return page
}

// demoURL waits for the demo to print the URL of its feed.
func demoURL(t *testing.T, out *syncBuffer) string {
	t.Helper()
	re := regexp.MustCompile(`subscribe to (http://\S+/feeds/all\.atom)`)
	var url string
	waitFor(t, "the demo to print its URL", func() bool {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			return true
		}
		return false
	})
	return url
}

// demoFeed waits for the demo's feed at url to hold 40 entries or more and
// returns it.
func demoFeed(t *testing.T, url string) []byte {
	t.Helper()
	var body []byte
	waitFor(t, "the demo feed to fill", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ = io.ReadAll(resp.Body)
		return bytes.Count(body, []byte("<entry")) >= 40
	})
	return body
}
