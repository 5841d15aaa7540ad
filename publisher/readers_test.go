package publisher_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // reads newsboat's cache

	"github.com/feedcurator/feedcurator/publisher"
)

// readerServer serves the fixed items with a hub, 4 entries a page (so
// paging links appear), and returns the URLs worth checking: every view's
// first page in every format, and an older page.
func readerServer(t *testing.T) (srvURL string, urls []string) {
	t.Helper()
	store := newStore()
	_, srv := newServer(t, store, func(o *publisher.Options) {
		o.Items = 4
		o.Hub = "https://pubsubhubbub.example.org/"
	})
	for _, v := range []string{"all", "containers", "paas", "industry", "misc", "digest"} {
		for _, f := range publisher.Formats {
			urls = append(urls, srv.URL+"/feeds/"+v+"."+f)
		}
	}
	a := parseAtom(t, mustGet(t, srv.URL+"/feeds/all.atom"))
	if a.link("next") == "" {
		t.Fatal("no next page")
	}
	urls = append(urls, a.link("next"))
	return srv.URL, urls
}

func saveTo(t *testing.T, dir, name string, body []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAtomSchema validates every Atom document against RFC 4287's RELAX NG
// schema: first pages with hub, first and next links, an older page, the
// digest feed, hostile content sanitised.
func TestAtomSchema(t *testing.T) {
	jing := requireTool(t, "jing")
	schema := filepath.Join("..", "..", "shared", "atom.rnc")
	if _, err := os.Stat(schema); err != nil {
		if os.Getenv("FEEDCURATOR_REQUIRE_TOOLS") != "" {
			t.Fatalf("schema: %v", err)
		}
		t.Skipf("schema: %v", err)
	}
	_, urls := readerServer(t)
	dir := t.TempDir()
	var files []string
	for i, u := range urls {
		if strings.Contains(u, ".atom") {
			files = append(files, saveTo(t, dir, strings.Repeat("p", i)+".atom", mustGet(t, u)))
		}
	}
	if len(files) != 7 {
		t.Fatalf("%d Atom documents", len(files))
	}
	out, err := exec.Command(jing, append([]string{"-c", schema}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("jing: %v\n%s", err, out)
	}
}

// feedparserScript prints, for each file, whether feedparser found it
// broken (bozo) and what it read of each entry.
const feedparserScript = `
import json, sys, time, calendar, feedparser
out = []
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    out.append({
        "path": path,
        "version": d.get("version", ""),
        "bozo": bool(d.bozo),
        "error": str(d.get("bozo_exception", "")),
        "title": d.feed.get("title", ""),
        "entries": [{
            "id": e.get("id", ""),
            "title": e.get("title", ""),
            "link": e.get("link", ""),
            "author": e.get("author", ""),
            "published": calendar.timegm(e.published_parsed) if e.get("published_parsed") else 0,
        } for e in d.entries],
    })
json.dump(out, sys.stdout)
`

type parsed struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Bozo    bool   `json:"bozo"`
	Error   string `json:"error"`
	Title   string `json:"title"`
	Entries []struct {
		ID        string `json:"id"`
		Title     string `json:"title"`
		Link      string `json:"link"`
		Author    string `json:"author"`
		Published int64  `json:"published"`
	} `json:"entries"`
}

// TestFeedparser reads every Atom and RSS document with Debian's
// python3-feedparser, as many readers do: no bozo, and the entries come
// out with the titles, links, authors and dates the Atom says. (Debian's
// feedparser 6.0 predates its JSON Feed support; TestJSONFeed checks those.)
func TestFeedparser(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = requireTool(t, "python3")
	}
	if err := exec.Command(py, "-c", "import feedparser").Run(); err != nil {
		if os.Getenv("FEEDCURATOR_REQUIRE_TOOLS") != "" {
			t.Fatalf("python3-feedparser is required: %v", err)
		}
		t.Skip("python3-feedparser not installed")
	}
	_, urls := readerServer(t)
	dir := t.TempDir()
	var files []string
	docs := map[string][]byte{}
	for i, u := range urls {
		ext := u[strings.LastIndexByte(u, '.')+1:]
		if j := strings.IndexByte(ext, '?'); j >= 0 {
			ext = ext[:j]
		}
		if ext == "json" {
			continue
		}
		body := mustGet(t, u)
		f := saveTo(t, dir, strings.Repeat("p", i+1)+"."+ext, body)
		files = append(files, f)
		docs[f] = body
	}
	out, err := exec.Command(py, append([]string{"-c", feedparserScript}, files...)...).Output()
	if err != nil {
		t.Fatalf("feedparser: %v\n%s", err, out)
	}
	var results []parsed
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantVersion := map[string]string{"atom": "atom10", "rss": "rss20"}
	for _, r := range results {
		ext := filepath.Ext(r.Path)[1:]
		if r.Bozo {
			t.Errorf("%s: bozo: %s", r.Path, r.Error)
		}
		if r.Version != wantVersion[ext] {
			t.Errorf("%s: version %q, want %q", r.Path, r.Version, wantVersion[ext])
		}
		if len(r.Entries) == 0 || r.Title == "" {
			t.Errorf("%s: title %q, %d entries", r.Path, r.Title, len(r.Entries))
		}
		if ext != "atom" {
			continue
		}
		// Compare with the Atom itself.
		a := parseAtom(t, docs[r.Path])
		if len(a.Entries) != len(r.Entries) {
			t.Fatalf("%s: %d entries read, %d written", r.Path, len(r.Entries), len(a.Entries))
		}
		for i, e := range a.Entries {
			got := r.Entries[i]
			pub, _ := time.Parse(time.RFC3339, e.Published)
			if got.ID != e.ID || got.Title != e.Title || got.Link != e.Links[0].Href || got.Author != e.Author || got.Published != pub.Unix() {
				t.Errorf("%s entry %d: read %+v\nwrote id %q title %q link %q author %q published %s", r.Path, i, got, e.ID, e.Title, e.Links[0].Href, e.Author, e.Published)
			}
		}
	}
}

// TestNewsboat subscribes newsboat to the feeds, lets it reload them once,
// and checks in its cache that every entry arrived with the right title,
// link, author and date.
func TestNewsboat(t *testing.T) {
	newsboat := requireTool(t, "newsboat")
	srvURL, urls := readerServer(t)
	// newsboat reads Atom and RSS; the older page is left out, its links
	// are the first page's entries again.
	var subscribed []string
	for _, u := range urls {
		if !strings.Contains(u, "?") && !strings.HasSuffix(u, ".json") {
			subscribed = append(subscribed, u)
		}
	}
	// One cache per feed: newsboat keys items by guid across all its
	// feeds, and the views share entries.
	for _, u := range subscribed {
		checkNewsboat(t, newsboat, u)
	}
	_ = srvURL
}

func checkNewsboat(t *testing.T, newsboat, u string) {
	t.Helper()
	dir := t.TempDir()
	urlsFile := saveTo(t, dir, "urls", []byte(u+"\n"))
	config := saveTo(t, dir, "config", []byte("download-timeout 10\nshow-read-feeds yes\n"))
	cache := filepath.Join(dir, "cache.db")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, newsboat, "-x", "reload", "-u", urlsFile, "-c", cache, "-C", config)
	// newsboat keeps state under $HOME and the XDG folders: keep it in dir.
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CACHE_HOME="+dir,
		"http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=", "no_proxy=*")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("newsboat: %v\n%s", err, stderr.String())
	}

	db, err := sql.Open("sqlite", "file:"+cache+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	{
		var feedTitle string
		if err := db.QueryRow(`SELECT title FROM rss_feed WHERE rssurl = ?`, u).Scan(&feedTitle); err != nil {
			t.Errorf("%s: not in newsboat's cache: %v\n%s", u, err, stderr.String())
			return
		}
		rows, err := db.Query(`SELECT guid, title, author, url, pubDate FROM rss_item WHERE feedurl = ? ORDER BY pubDate DESC, id`, u)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][4]string{}
		dates := map[string]int64{}
		for rows.Next() {
			var guid, title, author, link string
			var date int64
			if err := rows.Scan(&guid, &title, &author, &link, &date); err != nil {
				t.Fatal(err)
			}
			got[guid] = [4]string{title, author, link}
			dates[guid] = date
		}
		rows.Close()

		// What the Atom of the same view says.
		atomURL := strings.TrimSuffix(strings.TrimSuffix(u, ".rss"), ".atom") + ".atom"
		a := parseAtom(t, mustGet(t, atomURL))
		if feedTitle != a.Title {
			t.Errorf("%s: feed title %q, want %q", u, feedTitle, a.Title)
		}
		if len(got) != len(a.Entries) {
			t.Errorf("%s: newsboat has %d items, the feed %d", u, len(got), len(a.Entries))
		}
		for _, e := range a.Entries {
			g, ok := got[e.ID]
			if !ok {
				t.Errorf("%s: entry %q (%s) not ingested", u, e.Title, e.ID)
				continue
			}
			pub, _ := time.Parse(time.RFC3339, e.Published)
			if g[0] != e.Title || g[1] != e.Author || g[2] != e.Links[0].Href || dates[e.ID] != pub.Unix() {
				t.Errorf("%s: entry %s: newsboat has title %q author %q link %q date %d;\nfeed has %q %q %q %d",
					u, e.ID, g[0], g[1], g[2], dates[e.ID], e.Title, e.Author, e.Links[0].Href, pub.Unix())
			}
		}
	}
}

// TestJSONFeed checks every JSON Feed against the JSON Feed 1.1 spec's
// rules: a version, a title, items each with a unique string id and
// content_html or content_text, RFC 3339 dates, absolute URLs, and no
// unknown top-level keys beyond the spec's (extensions start with "_").
func TestJSONFeed(t *testing.T) {
	_, urls := readerServer(t)
	topKeys := map[string]bool{"version": true, "title": true, "home_page_url": true, "feed_url": true, "description": true,
		"user_comment": true, "next_url": true, "icon": true, "favicon": true, "authors": true, "language": true,
		"author":  true, // 1.0's, deprecated by 1.1 but still read by older readers
		"expired": true, "hubs": true, "items": true}
	itemKeys := map[string]bool{"id": true, "url": true, "external_url": true, "title": true, "content_html": true,
		"content_text": true, "summary": true, "image": true, "banner_image": true, "date_published": true,
		"date_modified": true, "authors": true, "author": true, "tags": true, "language": true, "attachments": true}
	for _, u := range urls {
		if !strings.Contains(u, ".json") {
			continue
		}
		body := mustGet(t, u)
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		for k := range raw {
			if !topKeys[k] && !strings.HasPrefix(k, "_") {
				t.Errorf("%s: unknown key %q", u, k)
			}
		}
		if raw["version"] != "https://jsonfeed.org/version/1.1" || raw["title"] == "" || raw["feed_url"] != u {
			t.Errorf("%s: version %v title %v feed_url %v", u, raw["version"], raw["title"], raw["feed_url"])
		}
		items, ok := raw["items"].([]any)
		if !ok || len(items) == 0 {
			t.Fatalf("%s: items %v", u, raw["items"])
		}
		ids := map[string]bool{}
		for _, x := range items {
			it := x.(map[string]any)
			for k := range it {
				if !itemKeys[k] && !strings.HasPrefix(k, "_") {
					t.Errorf("%s: unknown item key %q", u, k)
				}
			}
			id, _ := it["id"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s: item id %v missing or repeated", u, it["id"])
			}
			ids[id] = true
			if it["content_html"] == nil && it["content_text"] == nil {
				t.Errorf("%s: item %s has no content", u, id)
			}
			for _, k := range []string{"date_published", "date_modified"} {
				if s, ok := it[k].(string); ok {
					if _, err := time.Parse(time.RFC3339, s); err != nil {
						t.Errorf("%s: item %s %s %q", u, id, k, s)
					}
				}
			}
			if s, ok := it["url"].(string); ok && !strings.HasPrefix(s, "http") {
				t.Errorf("%s: item %s url %q", u, id, s)
			}
		}
	}
}
