package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/daemon"
	"github.com/feedcurator/feedcurator/internal/testutil"

	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/demo"
	"github.com/feedcurator/feedcurator/feeds"
)

// requireTool is testutil.RequireTool.
var requireTool = testutil.RequireTool

// feedFarm serves the bundled demo feeds under /good/, plus broken sources,
// and records the validators each request sent.
type feedFarm struct {
	*httptest.Server
	mu       sync.Mutex
	inm      map[string][]string // path -> If-None-Match values, in order
	requests map[string]int
}

func newFeedFarm(t *testing.T) *feedFarm {
	f := &feedFarm{inm: map[string][]string{}, requests: map[string]int{}}
	good := demo.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("/good/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.inm[r.URL.Path] = append(f.inm[r.URL.Path], r.Header.Get("If-None-Match"))
		f.requests[r.URL.Path]++
		f.mu.Unlock()
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/good")
		good.ServeHTTP(w, r2)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><html><head><title>Moved</title></head><body>Our feed moved.</body></html>")
	})
	mux.HandleFunc("/malformed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><item><title>unclosed`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *feedFarm) validatorsSent(path string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.inm[path]...)
}

// writeConfig writes a configuration polling the farm's good and broken
// sources, with the sections and rules of config.example.yaml.
func writeConfig(t *testing.T, farm *feedFarm, dir string) string {
	t.Helper()
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Keep everything from "sections:" on; replace the rest.
	sections := string(example[bytes.Index(example, []byte("\nsections:"))+1:])
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\nlisten: 127.0.0.1:0\nlog_level: debug\n", filepath.Join(dir, "feedcurator.db"))
	b.WriteString("fetch:\n  timeout: 1s\n  interval: 1h\n  min_interval: 1m\n")
	b.WriteString("curator:\n  interval: 50ms\n  fallback: misc\n  threshold: 1\n")
	b.WriteString("publish:\n  title: 一周业内技术动态\n  items: 500\n  lang: zh-CN\n")
	b.WriteString("sources:\n")
	for _, f := range demo.Feeds() {
		fmt.Fprintf(&b, "  - name: %s\n    url: %s/good%s\n", f.Name, farm.URL, f.Path)
	}
	for _, broken := range []string{"gone", "html", "malformed", "slow"} {
		fmt.Fprintf(&b, "  - name: broken %s\n    url: %s/%s\n", broken, farm.URL, broken)
	}
	b.WriteString(sections)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// demoItemCount is the number of distinct items in the bundled feeds.
func demoItemCount(t *testing.T) int {
	n := 0
	for _, f := range demo.Feeds() {
		b, err := demo.Open(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := feeds.Parse(bytes.NewReader(b), "http://x"+f.Path, "")
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		n += len(feed.Items)
	}
	return n
}

type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Links     []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Authors []struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Categories []struct {
			Term  string `xml:"term,attr"`
			Label string `xml:"label,attr"`
		} `xml:"category"`
		Source *struct {
			ID    string `xml:"id"`
			Title string `xml:"title"`
		} `xml:"source"`
	} `xml:"entry"`
}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	farm := newFeedFarm(t)
	cfgPath := writeConfig(t, farm, dir)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Admin.Token = "s3cret"
	m := daemon.New(cfg, zerolog.New(zerolog.NewTestWriter(t)))
	m.ConfigPath = cfgPath
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := m.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + m.Addr
	want := demoItemCount(t)

	// The daemon polls at once; wait (bounded) until every item is published.
	var doc atomDoc
	var body []byte
	deadline := time.Now().Add(30 * time.Second)
	for {
		var resp *http.Response
		resp, body = get(t, base+"/feeds/all.atom")
		if resp.StatusCode == 200 {
			doc = atomDoc{}
			if err := xml.Unmarshal(body, &doc); err != nil {
				t.Fatalf("served Atom does not parse: %v\n%s", err, body)
			}
			if len(doc.Entries) == want {
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
					t.Errorf("Content-Type %q", ct)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s the feed has %d entries, want %d", len(doc.Entries), want)
		}
		time.Sleep(50 * time.Millisecond)
	}

	checkAtom(t, doc, base+"/feeds/all.atom")
	validateAtom(t, body)

	// Each section feed holds only its section.
	total := 0
	for _, s := range cfg.Sections {
		resp, b := get(t, base+"/feeds/"+s.ID+".atom")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", s.ID, resp.StatusCode)
		}
		var sd atomDoc
		if err := xml.Unmarshal(b, &sd); err != nil {
			t.Fatal(err)
		}
		for _, e := range sd.Entries {
			if e.Categories[0].Term != s.ID || e.Categories[0].Label != s.Title {
				t.Errorf("%s feed has an entry of %+v", s.ID, e.Categories)
			}
		}
		if len(sd.Entries) == 0 {
			t.Errorf("section %s is empty", s.ID)
		}
		total += len(sd.Entries)
		validateAtom(t, b)
	}
	if total != want {
		t.Errorf("sections hold %d entries, want %d", total, want)
	}
	if resp, _ := get(t, base+"/feeds/nope.atom"); resp.StatusCode != 404 {
		t.Errorf("unknown section: status %d", resp.StatusCode)
	}

	// Conditional GET of the published feed.
	resp, _ := get(t, base+"/feeds/all.atom")
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("no validators: %v", resp.Header)
	}
	if resp, _ := get(t, base+"/feeds/all.atom", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}
	if resp, b := get(t, base+"/healthz"); resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"ok"`)) {
		t.Errorf("healthz %d %s", resp.StatusCode, b)
	}

	// The stored item's explanation, as JSON.
	items0, _ := m.DB.RecentItems(ctx, "", 1)
	resp, b := get(t, fmt.Sprintf("%s/items/%d/explain", base, items0[0].ID))
	var ex daemon.Explained
	if resp.StatusCode != 200 || json.Unmarshal(b, &ex) != nil || ex.Explanation.Section != items0[0].Section || ex.Title != items0[0].Title {
		t.Errorf("explain endpoint: %d %s", resp.StatusCode, b)
	}
	if resp, _ := get(t, base+"/items/99999/explain"); resp.StatusCode != 404 {
		t.Errorf("explain of a missing item: %d", resp.StatusCode)
	}
	if resp, _ := get(t, base+"/items/x/explain"); resp.StatusCode != 400 {
		t.Errorf("explain of a bad id: %d", resp.StatusCode)
	}

	// Admin endpoints want the token.
	post := func(token string) int {
		req, _ := http.NewRequest("POST", base+"/admin/reload", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Errorf("reload without token: %d", code)
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Errorf("reload with a wrong token: %d", code)
	}
	if code := post("s3cret"); code != http.StatusOK {
		t.Errorf("reload with the token: %d", code)
	}
	// The file has no token: loopback requests are now let through.
	if code := post(""); code != http.StatusOK {
		t.Errorf("reload from loopback without a token configured: %d", code)
	}

	// A second poll sends the stored validators and stores nothing twice.
	sum := m.Poller.PollAll(ctx, nil)
	if sum.New != 0 || sum.Updated != 0 {
		t.Errorf("second poll stored %d new, %d updated items", sum.New, sum.Updated)
	}
	for _, f := range demo.Feeds() {
		sent := farm.validatorsSent("/good" + f.Path)
		if len(sent) < 2 || sent[0] != "" || sent[len(sent)-1] == "" {
			t.Errorf("%s: If-None-Match sent %q, want none then the stored ETag", f.Path, sent)
		}
	}
	items, err := m.DB.RecentItems(ctx, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != want {
		t.Errorf("store holds %d published items, want %d", len(items), want)
	}

	// Broken sources are recorded, good ones are not. The slow one times
	// out in a fetch of the daemon's own loop, which may still be under way:
	// wait (bounded) for every broken source's error.
	var srcs []feeds.Source
	waitFor(t, "an error recorded for every broken source", func() bool {
		srcs, err = m.DB.Sources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range srcs {
			if strings.HasPrefix(s.Name, "broken ") && s.State.ErrorCount == 0 {
				return false
			}
		}
		return true
	})
	for _, s := range srcs {
		broken := strings.HasPrefix(s.Name, "broken ")
		if broken && (s.State.ErrorCount == 0 || s.State.LastError == "") {
			t.Errorf("%s: no error recorded: %+v", s.Name, s.State)
		}
		if !broken && s.State.ErrorCount != 0 {
			t.Errorf("%s: error recorded: %s", s.Name, s.State.LastError)
		}
	}
}

func checkAtom(t *testing.T, doc atomDoc, self string) {
	t.Helper()
	if !strings.HasPrefix(doc.ID, "tag:") {
		t.Errorf("feed id %q is not a tag: URI", doc.ID)
	}
	var gotSelf bool
	for _, l := range doc.Links {
		gotSelf = gotSelf || (l.Rel == "self" && l.Href == self)
	}
	if !gotSelf {
		t.Errorf("no rel=self %s in %+v", self, doc.Links)
	}
	ids := map[string]bool{}
	for _, e := range doc.Entries {
		if !strings.HasPrefix(e.ID, "tag:") || ids[e.ID] {
			t.Errorf("entry id %q missing, not a tag: URI or repeated", e.ID)
		}
		ids[e.ID] = true
		if len(e.Categories) != 1 || e.Categories[0].Term == "" || e.Categories[0].Label == "" {
			t.Errorf("%q: categories %+v, want exactly one with term and label", e.Title, e.Categories)
		}
		if len(e.Authors) != 1 || e.Authors[0].Name == "" {
			t.Errorf("%q: authors %+v", e.Title, e.Authors)
		}
		for _, d := range []string{e.Updated, e.Published} {
			if _, err := time.Parse(time.RFC3339, d); err != nil {
				t.Errorf("%q: date %q is not RFC 3339", e.Title, d)
			}
		}
		if len(e.Links) != 1 || e.Links[0].Rel != "alternate" || !strings.HasPrefix(e.Links[0].Href, "https://") {
			t.Errorf("%q: links %+v", e.Title, e.Links)
		}
		if e.Source == nil || e.Source.Title == "" || e.Source.ID == "" {
			t.Errorf("%q: source %+v", e.Title, e.Source)
		}
	}
}

// validateAtom checks a served document against RFC 4287's schema with jing
// and with Python's feedparser, as a feed reader would read it. A checker or
// schema that is missing leaves out its check only (unless
// FEEDCURATOR_REQUIRE_TOOLS is set): the test that called goes on.
func validateAtom(t *testing.T, doc []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "feed.atom")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	rnc := filepath.Join("..", "..", "..", "shared", "atom.rnc")
	if jing, ok := testutil.Tool(t, "jing"); ok && testutil.File(t, rnc) {
		if out, err := exec.Command(jing, "-c", rnc, f).CombinedOutput(); err != nil {
			t.Errorf("jing: %v\n%s", err, out)
		}
	}
	py, ok := testutil.Tool(t, "/usr/bin/python3")
	if !ok {
		return
	}
	script := `import sys, feedparser
d = feedparser.parse(sys.argv[1])
if d.bozo:
    print("bozo:", d.bozo_exception); sys.exit(1)
print(len(d.entries))`
	out, err := exec.Command(py, "-c", script, f).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("No module named")) && os.Getenv("FEEDCURATOR_REQUIRE_TOOLS") == "" {
			t.Log("python3-feedparser not installed: that check is left out")
			return
		}
		t.Errorf("feedparser: %v\n%s", err, out)
	}
}
