package desk_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/desk"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/testutil"
	"github.com/feedcurator/feedcurator/publisher"
	"github.com/feedcurator/feedcurator/sqlite"
)

// editorPassword is the editor's password on the test desks.
const editorPassword = "编辑的密码 correct horse"

// editorHash is its hash, made once: bcrypt is slow on purpose, slower
// still under the race detector.
var editorHash = sync.OnceValues(func() (string, error) { return desk.HashPassword(editorPassword) })

var deskSections = []feeds.Section{{ID: "cloud", Title: "云计算及容器技术"}, {ID: "bigdata", Title: "大数据"}, {ID: "security", Title: "安全"}}

// deskItem is an item of the week to store: classified into section with
// score; its link is the article site's path.
type deskItem struct {
	key, title, summary, path, section string
	score                              float64
	link                               string // instead of the site's path
}

// request is one request the desk answered.
type request struct {
	method, path, cookie, fetchSite, origin string
	status                                  int
}

// deskSite is a desk over a real store in a temporary folder, with the
// digest that publishes its issues into dir and the loopback site its
// articles are on.
type deskSite struct {
	t       *testing.T
	ctx     context.Context
	db      *sqlite.DB
	b       *digest.Builder
	dir     string // the published Markdown
	now     time.Time
	week    feeds.Week // the desk's default week: the one running at now
	site    *httptest.Server
	srv     *httptest.Server // the desk, at /desk/
	items   map[string]int64 // stored item IDs by key
	explain map[int64]curator.Explanation

	mu       sync.Mutex
	requests []request
	changed  chan struct{} // closed, and replaced, at each request answered
}

// newDeskSite stores the sources and items, builds the digest over the
// store and serves the desk on loopback.
func newDeskSite(t *testing.T, items []deskItem, explain func(ids map[string]int64) map[int64]curator.Explanation) *deskSite {
	t.Helper()
	s := &deskSite{t: t, ctx: context.Background(), dir: t.TempDir(), items: map[string]int64{}, changed: make(chan struct{}),
		now: time.Date(2016, 6, 29, 12, 0, 0, 0, time.UTC)} // a Wednesday of 2016-W26
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Page title | Site</title>
<meta property="og:title" content="Kubernetes 1.3：从零到一">
<meta property="og:description" content="Kubernetes 1.3 的新特性。">
</head><body><p>body</p></body></html>`)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>article</title><p>article</p>")
	})
	s.site = httptest.NewServer(mux)
	t.Cleanup(s.site.Close)

	db, err := sqlite.Open(s.ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s.db = db
	srcs, err := db.SyncSources(s.ctx, []feeds.Source{{Name: "InfoQ 中文", ConfigURL: "https://www.infoq.cn/feed"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		link := it.link
		if link == "" {
			link = s.site.URL + it.path
		}
		at := s.now.Add(-time.Duration(len(items)-i) * time.Hour)
		fi := feeds.Item{GUID: it.key, Link: link, Title: it.title, Summary: it.summary, Published: at}
		if _, err := db.SaveFetch(s.ctx, srcs[0].ID, feeds.FetchState{URL: srcs[0].ConfigURL}, []feeds.Item{fi}, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := db.ListItems(s.ctx, sqlite.ItemFilter{Unpublished: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var cs []feeds.Classification
	for _, it := range items {
		for _, st := range stored {
			if st.GUID == it.key {
				s.items[it.key] = st.ID
				cs = append(cs, feeds.Classification{ItemID: st.ID, Section: it.section, Score: it.score, TitleKey: curator.TitleKey(it.title)})
			}
		}
		if s.items[it.key] == 0 {
			t.Fatalf("item %q was not stored: %+v", it.key, stored)
		}
	}
	if _, err := db.SetSections(s.ctx, "v1", cs); err != nil {
		t.Fatal(err)
	}
	if explain != nil {
		s.explain = explain(s.items)
	}

	o := digest.DefaultOptions()
	o.Sections = deskSections
	o.Dir = s.dir
	o.Now = s.clock
	// Loopback is the test's article site: the private-address guard is
	// off here, as in the digest's own tests of add-url.
	o.HTTPClient = aggregator.NewHTTPClient(aggregator.Options{})
	o.CheckTimeout = time.Minute // loopback answers at once; no race with a busy machine
	o.TitleKey = curator.TitleKey
	logger := zerolog.New(zerolog.NewTestWriter(t))
	s.b = digest.New(db, o, logger)
	s.week = s.b.Latest(s.now).Next()

	hash, err := editorHash()
	if err != nil {
		t.Fatal(err)
	}
	d := desk.New(desk.Options{
		Builder: s.b,
		Store:   db,
		Explain: func(ctx context.Context, itemID int64) (curator.Explanation, error) {
			if e, ok := s.explain[itemID]; ok {
				return e, nil
			}
			return curator.Explanation{}, feeds.ErrNotFound
		},
		PasswordHash: func() string { return hash },
		Remote:       func() bool { return false },
		Logger:       logger,
		Now:          s.clock,
	})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		d.ServeHTTP(rec, r)
		s.mu.Lock()
		s.requests = append(s.requests, request{method: r.Method, path: r.URL.Path, cookie: r.Header.Get("Cookie"),
			fetchSite: r.Header.Get("Sec-Fetch-Site"), origin: r.Header.Get("Origin"), status: rec.status})
		if rec.status == http.StatusForbidden {
			t.Logf("the desk refused %s %s: Sec-Fetch-Site %q, Origin %q, Referer %q", r.Method, r.URL.Path,
				r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Origin"), r.Header.Get("Referer"))
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *deskSite) clock() time.Time { return s.now }

// statusWriter notes the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// issuePath is the desk's page of the draft.
func (s *deskSite) issuePath() string { return "/desk/issue/" + s.week.String() }

// waitRequest waits until the desk has answered a request that match
// accepts, and returns it.
func (s *deskSite) waitRequest(what string, match func(request) bool) request {
	s.t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		s.mu.Lock()
		for _, r := range s.requests {
			if match(r) {
				s.mu.Unlock()
				return r
			}
		}
		changed, seen := s.changed, slices.Clone(s.requests)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timeout:
			s.t.Fatalf("%s: the desk never answered such a request; it answered %+v", what, seen)
		}
	}
}

// draft returns the week's issue as the store keeps it.
func (s *deskSite) draft() *feeds.EditedIssue {
	s.t.Helper()
	ed, err := s.db.EditedIssue(s.ctx, s.week)
	if err != nil {
		s.t.Fatalf("issue %s in the store: %v", s.week, err)
	}
	return ed
}

// entryOf returns the entry of item key in ed.
func (s *deskSite) entryOf(ed *feeds.EditedIssue, key string) *feeds.IssueEntry {
	s.t.Helper()
	for i := range ed.Entries {
		if ed.Entries[i].ItemID == s.items[key] {
			return &ed.Entries[i]
		}
	}
	s.t.Fatalf("item %s (%d) is not in the issue: %+v", key, s.items[key], ed.Entries)
	return nil
}

// published returns the Markdown files in the digest's folder.
func (s *deskSite) published() map[string]string {
	s.t.Helper()
	files, err := os.ReadDir(s.dir)
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(s.dir, f.Name()))
		if err != nil {
			s.t.Fatal(err)
		}
		out[f.Name()] = string(data)
	}
	return out
}

// pagePath is the path of the tab's page.
func pagePath(t *testing.T, b *testutil.Browser) string {
	t.Helper()
	loc := testutil.Eval[string](b, "location.href")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("page address %q: %v", loc, err)
	}
	return u.Path
}

// cookies returns the desk's cookies in the browser.
func (s *deskSite) cookies(b *testutil.Browser) []*network.Cookie {
	s.t.Helper()
	ctx, cancel := b.Context()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.srv.URL + "/desk/"}})
	if err != nil {
		b.Fatalf("cookies: %v", err)
	}
	return res.Cookies
}

// see fails the test unless an element the CSS selector matches is shown.
func see(t *testing.T, b *testutil.Browser, what, selector string) {
	t.Helper()
	if !b.Visible(selector) {
		b.Fatalf("%s: no %s on the page", what, selector)
	}
}

// signIn signs in on the login page; it fails the test unless the desk
// then shows the draft.
func (s *deskSite) signIn(t *testing.T, b *testutil.Browser, password string) {
	t.Helper()
	b.Load("open the login page", chromedp.Navigate(s.srv.URL+"/desk/login"))
	see(t, b, "the login page", `form#login[method=post][action="/desk/login"] input[name=password][type=password]`)
	b.Do("type the password", chromedp.SetValue(chromedp.CSS(`form#login input[name=password]`), password))
	status := b.Load("sign in", chromedp.Click(chromedp.CSS(`#signin`)))
	if p := pagePath(t, b); p != s.issuePath() || status != http.StatusOK {
		b.Fatalf("signed in, the desk answers %d and shows %s, want the draft %s", status, p, s.issuePath())
	}
	see(t, b, "the draft", `main#draft`)
	see(t, b, "the draft", `aside#preview`)
}

// act runs actions that post one of the desk's forms and waits for the
// page the desk answers with: it must be the draft again, with a flash.
func (s *deskSite) act(t *testing.T, b *testutil.Browser, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if status := b.Load(what, actions...); status != http.StatusOK {
		b.Fatalf("%s: the desk answered %d", what, status)
	}
	if p := pagePath(t, b); p != s.issuePath() {
		b.Fatalf("%s: the desk shows %s, want the draft %s", what, p, s.issuePath())
	}
	see(t, b, what, `#flash`)
}

// currentEntry is the JavaScript expression of the current entry's ID.
const currentEntry = `(document.querySelector(".entry.current") || {id: ""}).id`

// selectEntry makes entry id the current one with j and k from wherever
// the page starts, checking that each key moves the current entry (class
// and focus) by one.
func selectEntry(t *testing.T, b *testutil.Browser, id int64) {
	t.Helper()
	want := fmt.Sprintf("entry-%d", id)
	ids := testutil.Eval[[]string](b, `[...document.querySelectorAll(".entry")].map(e => e.id)`)
	at := slices.Index(ids, want)
	if at < 0 {
		b.Fatalf("no %s among the entries %q", want, ids)
	}
	for range len(ids) + 1 {
		cur := testutil.Eval[string](b, currentEntry)
		if cur == want {
			if focused := testutil.Eval[string](b, `document.activeElement ? document.activeElement.id : ""`); focused != want {
				b.Fatalf("the current entry is %s but the focus is on %q", want, focused)
			}
			return
		}
		key, next := "j", 0
		if i := slices.Index(ids, cur); i >= 0 {
			if i < at {
				next = i + 1
			} else {
				key, next = "k", i-1
			}
		}
		b.Do("press "+key, chromedp.KeyEvent(key))
		b.Wait(fmt.Sprintf("%s moves from %q to %s", key, cur, ids[next]),
			fmt.Sprintf(`%s === %q && document.activeElement && document.activeElement.id === %q`, currentEntry, ids[next], ids[next]))
	}
	b.Fatalf("j and k never reached %s", want)
}

// entryState is the state the page shows for entry id.
func entryState(b *testutil.Browser, id int64) string {
	return testutil.Eval[string](b, fmt.Sprintf(`(document.querySelector("#entry-%d") || {dataset: {state: "(no such entry)"}}).dataset.state`, id))
}

// pageText is the text of everything the CSS selector matches, joined.
func pageText(b *testutil.Browser, selector string) string {
	return testutil.Eval[string](b, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => e.textContent).join("\n")`, selector))
}

// weekItems are the week's articles: three in 云计算, one in 大数据 without
// 要点 whose link is gone, none in 安全.
var weekItems = []deskItem{
	{key: "a", title: "深度解读Weaveworks的容器网络方案", summary: "Weave Net是容器网络方案。", path: "/a", section: "cloud", score: 5},
	{key: "b", title: "浅谈Docker安全：技术、生态和最新的安全特性", summary: "本文介绍docker安全。", path: "/b", section: "cloud", score: 3},
	{key: "c", title: "Mesos 1.0 发布了什么新东西", summary: "Mesos 的新东西。", path: "/c", section: "cloud", score: 1},
	{key: "d", title: "Spark 2.0 的结构化流处理", summary: "", path: "/gone", section: "bigdata", score: 2},
}

// TestBrowserDesk edits the week's issue in Chromium as an editor does,
// keyboard included (accept, reject, later, move, order, 要点, 推荐阅读,
// 编者按, an article by URL, the check), and publishes it: the Markdown
// written, the store and the digest feed hold what was done.
func TestBrowserDesk(t *testing.T) {
	s := newDeskSite(t, weekItems, func(ids map[string]int64) map[int64]curator.Explanation {
		return map[int64]curator.Explanation{
			ids["a"]: {Section: "cloud", Score: 5, Decision: curator.ByScore, Version: "v1"},
			ids["d"]: {Section: "bigdata", Score: 2, Decision: curator.ByScore, Version: "v1", Review: true, ReviewMargin: 1},
		}
	})
	b := testutil.NewBrowser(t, 1280, 900)

	// A wrong password: the login page again, with a flash, and no session.
	b.Load("open the login page", chromedp.Navigate(s.srv.URL+"/desk/login"))
	before := s.cookies(b)
	see(t, b, "the login page", `form#login`)
	b.Do("type a wrong password", chromedp.SetValue(chromedp.CSS(`form#login input[name=password]`), "not the password"))
	if status := b.Load("sign in with a wrong password", chromedp.Click(chromedp.CSS(`#signin`))); status == http.StatusForbidden {
		b.Fatalf("the desk refused the sign-in (403)")
	}
	if p := pagePath(t, b); p != "/desk/login" {
		b.Errorf("after a wrong password the desk shows %s", p)
	}
	see(t, b, "a wrong password", `#flash`)
	b.Load("open the desk without a session", chromedp.Navigate(s.srv.URL+"/desk/"))
	if p := pagePath(t, b); p != "/desk/login" {
		b.Fatalf("after a wrong password /desk/ shows %s, want the login page", p)
	}

	// The right one: the week's draft.
	s.signIn(t, b, editorPassword)
	var session []string
	for _, c := range s.cookies(b) {
		if !slices.ContainsFunc(before, func(o *network.Cookie) bool { return o.Name == c.Name && o.Value == c.Value }) {
			session = append(session, c.Name)
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
				t.Errorf("session cookie %s: HttpOnly %v, SameSite %q; want HttpOnly, Strict", c.Name, c.HTTPOnly, c.SameSite)
			}
		}
	}
	if len(session) == 0 {
		t.Errorf("signing in set no new cookie; before %v", before)
	}
	b.Load("open the desk", chromedp.Navigate(s.srv.URL+"/desk/"))
	if p := pagePath(t, b); p != s.issuePath() {
		t.Fatalf("/desk/ shows %s, want this week's draft %s", p, s.issuePath())
	}

	ed := s.draft()
	eA, eB, eC, eD := s.entryOf(ed, "a").ID, s.entryOf(ed, "b").ID, s.entryOf(ed, "c").ID, s.entryOf(ed, "d").ID
	// Section by section, in the configured order, the best first.
	type shown struct {
		Section string   `json:"section"`
		Title   string   `json:"title"` // the h2's own text (a count may follow in an element)
		Entries []string `json:"entries"`
		Wrong   []string `json:"wrong"` // entries whose data-section is not their section's
	}
	sections := testutil.Eval[[]shown](b, `[...document.querySelectorAll("#draft section.section")].map(s => ({
		section: s.id, title: [...(s.querySelector("h2") || {childNodes: []}).childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join("").trim(),
		entries: [...s.querySelectorAll(".entry")].map(e => e.id),
		wrong: [...s.querySelectorAll(".entry")].filter(e => "section-" + e.dataset.section !== s.id).map(e => e.id)}))`)
	var got []string
	for _, sec := range sections {
		if len(sec.Entries) > 0 || sec.Section != "section-security" {
			got = append(got, fmt.Sprintf("%s %s %v", sec.Section, sec.Title, sec.Entries))
		}
		if len(sec.Wrong) > 0 {
			t.Errorf("entries %v of %s have another data-section", sec.Wrong, sec.Section)
		}
	}
	want := []string{
		fmt.Sprintf("section-cloud 云计算及容器技术 [entry-%d entry-%d entry-%d]", eA, eB, eC),
		fmt.Sprintf("section-bigdata 大数据 [entry-%d]", eD),
	}
	if !slices.Equal(got, want) {
		t.Errorf("the draft shows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	sel := func(id int64, rest string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf("#entry-%d %s", id, rest)) }
	titleA := testutil.Eval[map[string]string](b, fmt.Sprintf(`(a => ({text: a.textContent.trim(), href: a.href, rel: a.rel}))(document.querySelector("#entry-%d a.title"))`, eA))
	if titleA["text"] != weekItems[0].title || titleA["href"] != s.site.URL+"/a" || titleA["rel"] != "noopener noreferrer" {
		t.Errorf("entry A's title link: %v", titleA)
	}
	if score := strings.TrimSpace(pageText(b, fmt.Sprintf("#entry-%d .score", eA))); !strings.Contains(score, "5") {
		t.Errorf("entry A's score shows %q, want 5", score)
	}
	if n := testutil.Eval[int](b, fmt.Sprintf(`document.querySelectorAll("#entry-%d .review").length`, eD)); n != 1 {
		t.Errorf("entry D, a close call, has %d .review marks", n)
	}
	if n := testutil.Eval[int](b, fmt.Sprintf(`document.querySelectorAll("#entry-%d .review").length`, eA)); n != 0 {
		t.Errorf("entry A, no close call, has %d .review marks", n)
	}
	b.Do("expand why D is in its section", chromedp.Click(sel(eD, "details.why > summary")))
	if why := pageText(b, fmt.Sprintf("#entry-%d details.why", eD)); !strings.Contains(why, "bigdata") {
		t.Errorf("entry D's explanation reads %q", why)
	}

	// The keyboard: r rejects, a accepts, l leaves for later, on the
	// entry j and k reach.
	selectEntry(t, b, eB)
	selectEntry(t, b, eA)
	s.act(t, b, "press r on entry A", chromedp.KeyEvent("r"))
	if st := entryState(b, eA); st != "rejected" {
		t.Errorf("after r entry A shows %q", st)
	}
	selectEntry(t, b, eA)
	s.act(t, b, "press a on entry A", chromedp.KeyEvent("a"))
	if st := entryState(b, eA); st != "accepted" {
		t.Errorf("after a entry A shows %q", st)
	}
	selectEntry(t, b, eC)
	s.act(t, b, "press l on entry C", chromedp.KeyEvent("l"))
	if st := entryState(b, eC); st != "later" {
		t.Errorf("after l entry C shows %q", st)
	}
	selectEntry(t, b, eC)
	s.act(t, b, "press r on entry C", chromedp.KeyEvent("r"))
	if st := entryState(b, eC); st != "rejected" {
		t.Errorf("after r entry C shows %q", st)
	}
	// An entry left out has its editors folded away; e opens them.
	editsOpen := fmt.Sprintf(`document.querySelector("#entry-%d details.edit").open`, eC)
	if testutil.Eval[bool](b, editsOpen) {
		t.Errorf("rejected entry C shows its 要点, note and 推荐阅读 editors unfolded")
	}
	selectEntry(t, b, eC)
	b.Do("press e on entry C", chromedp.KeyEvent("e"))
	b.Wait("e opens and focuses entry C's 要点", editsOpen+fmt.Sprintf(` && document.activeElement.matches("#entry-%d form.summary textarea[name=summary]")`, eC))
	b.Do("leave the 要点", chromedp.Blur(sel(eC, "form.summary textarea[name=summary]")))

	// m: B moves to 大数据.
	selectEntry(t, b, eB)
	b.Do("press m on entry B", chromedp.KeyEvent("m"))
	b.Wait("m focuses entry B's section select", fmt.Sprintf(`document.activeElement && document.activeElement.matches("#entry-%d select[name=section]")`, eB))
	b.Do("choose 大数据", chromedp.SetValue(sel(eB, "form.move select[name=section]"), "bigdata"))
	s.act(t, b, "move entry B", chromedp.Click(sel(eB, "form.move:has(select[name=section]) button")))
	if in := testutil.Eval[string](b, fmt.Sprintf(`(e => e ? e.dataset.section + " in " + e.closest("section").id : "gone")(document.querySelector("#entry-%d"))`, eB)); in != "bigdata in section-bigdata" {
		t.Errorf("moved entry B shows as %s", in)
	}

	// e: A's 要点, typed; the letters typed are text, not shortcuts.
	summary := "Weave Net 的 router 与 jar 包 made easy：编辑写的要点。"
	selectEntry(t, b, eA)
	b.Do("press e on entry A", chromedp.KeyEvent("e"))
	b.Wait("e focuses entry A's 要点", fmt.Sprintf(`document.activeElement && document.activeElement.matches("#entry-%d form.summary textarea[name=summary]")`, eA))
	// (chromedp's SetValue cannot set "", nor its Clear a typed value.)
	testutil.Eval[chromedp.Void](b, fmt.Sprintf(`document.querySelector("#entry-%d form.summary textarea[name=summary]").value = ""`, eA))
	b.Do("type A's 要点", chromedp.SendKeys(sel(eA, "form.summary textarea[name=summary]"), summary))
	if v := testutil.Eval[string](b, fmt.Sprintf(`document.querySelector("#entry-%d form.summary textarea[name=summary]").value`, eA)); v != summary {
		t.Errorf("the 要点 typed reads %q", v)
	}
	if p, st := pagePath(t, b), entryState(b, eA); p != s.issuePath() || st != "accepted" {
		t.Errorf("typing the 要点 left the page at %s with entry A %s", p, st)
	}
	s.act(t, b, "save A's 要点", chromedp.Click(sel(eA, "form.summary button")))
	b.Wait("the preview shows the edited 要点", fmt.Sprintf(`document.querySelector("#preview").textContent.includes(%q)`, summary))

	// 推荐阅读 for A, the issue's 编者按, an article by its URL.
	related := s.site.URL + "/related"
	b.Do("type A's 推荐阅读", chromedp.SetValue(sel(eA, "form.related input[name=add]"), related))
	s.act(t, b, "add A's 推荐阅读", chromedp.Click(sel(eA, "form.related button")))
	note := "本周容器网络专题。"
	b.Do("type the 编者按", chromedp.SetValue(chromedp.CSS(`form#issue-note textarea[name=note]`), note))
	s.act(t, b, "save the 编者按", chromedp.Click(chromedp.CSS(`form#issue-note button`)))
	b.Do("type the URL to add",
		chromedp.SetValue(chromedp.CSS(`form#add-url select[name=section]`), "cloud"),
		chromedp.SetValue(chromedp.CSS(`form#add-url input[name=url]`), s.site.URL+"/page"))
	s.act(t, b, "add the URL", chromedp.Click(chromedp.CSS(`form#add-url button`)))
	b.Wait("the added article shows with its og:title", `[...document.querySelectorAll("#section-cloud .entry a.title")].some(a => a.textContent.trim() === "Kubernetes 1.3：从零到一")`)

	// Up, twice: the added article, last in 云计算, goes first.
	var eK int64
	for _, e := range s.draft().Entries {
		if e.ItemID == 0 {
			eK = e.ID
		}
	}
	for i := range 2 {
		// The up button is the one of the entry's position forms that
		// asks for the smaller position.
		up := testutil.Eval[string](b, fmt.Sprintf(`String(Math.min(...[...document.querySelectorAll("#entry-%d form.move input[name=position][type=hidden]")].map(p => +p.value)))`, eK))
		s.act(t, b, fmt.Sprintf("move the added article up (%d)", i+1),
			chromedp.Click(sel(eK, fmt.Sprintf(`form.move:has(input[name=position][value="%s"]) button`, up))))
	}
	if order := testutil.Eval[[]string](b, `[...document.querySelectorAll("#section-cloud .entry")].map(e => e.id)`); len(order) == 0 || order[0] != fmt.Sprintf("entry-%d", eK) {
		t.Errorf("after two ups 云计算 shows %q, want entry-%d first", order, eK)
	}

	// The check lists the problems: 大数据's one article has no 要点 and a
	// dead link, 安全 is empty.
	s.act(t, b, "run the check", chromedp.Click(chromedp.CSS(`#run-check`)))
	kinds := testutil.Eval[[]string](b, `[...document.querySelectorAll("#problems li")].map(li => li.dataset.kind)`)
	for _, k := range []digest.ProblemKind{digest.NoSummary, digest.DeadLink, digest.EmptySection} {
		if !slices.Contains(kinds, string(k)) {
			t.Errorf("the check lists %q, not %s\n%s", kinds, k, pageText(b, "#problems"))
		}
	}

	// The preview, before publishing: the issue as it will be.
	preview := pageText(b, "#preview")
	for _, want := range []string{summary, note, "Kubernetes 1.3：从零到一", weekItems[1].title, "大数据"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q:\n%s", want, preview)
		}
	}
	if strings.Contains(preview, weekItems[2].title) {
		t.Errorf("the preview shows the rejected %q:\n%s", weekItems[2].title, preview)
	}
	if files := s.published(); len(files) != 0 {
		t.Errorf("files before publishing: %v", files)
	}

	s.act(t, b, "publish", chromedp.Click(chromedp.CSS(`#publish-now`)))
	if st := pageText(b, "#issue-state"); !strings.Contains(st, "published") {
		t.Errorf("after publishing the issue shows %q", st)
	}

	// The Markdown written holds what was done.
	files := s.published()
	if len(files) != 1 {
		t.Fatalf("published files: %v", files)
	}
	var md string
	for _, data := range files {
		md = data
	}
	bySection := map[string]string{}
	for _, part := range strings.Split(md, "\n### ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		bySection[title] = body
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"the 编者按", strings.Contains(md, "> 编者按: "+note)},
		{"the added article first under 云计算", strings.Contains(bySection["云计算及容器技术"], "\n#### 1、Kubernetes 1.3：从零到一\n")},
		{"A second under 云计算 with its edited 要点", strings.Contains(bySection["云计算及容器技术"], "\n#### 2、"+weekItems[0].title+"\n\n> 要点: "+summary)},
		{"A's 推荐阅读", strings.Contains(bySection["云计算及容器技术"], "推荐阅读：") && strings.Contains(md, "]: "+related)},
		{"B moved under 大数据", strings.Contains(bySection["大数据"], weekItems[1].title) && !strings.Contains(bySection["云计算及容器技术"], weekItems[1].title)},
		{"no rejected C", !strings.Contains(md, weekItems[2].title)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("the published Markdown lacks %s:\n%s", c.what, md)
		}
	}

	// The store agrees.
	ed = s.draft()
	if ed.State != feeds.IssuePublished || ed.Revision != 1 || ed.Note != note {
		t.Errorf("stored issue: state %s, revision %d, note %q", ed.State, ed.Revision, ed.Note)
	}
	a, bb, c, d := s.entryOf(ed, "a"), s.entryOf(ed, "b"), s.entryOf(ed, "c"), s.entryOf(ed, "d")
	if a.State != feeds.EntryAccepted || a.Section != "cloud" || a.Summary == nil || *a.Summary != summary ||
		len(a.Related) != 1 || a.Related[0].URL != related {
		t.Errorf("stored entry A: %s in %s, 要点 %v, 推荐阅读 %+v", a.State, a.Section, a.Summary, a.Related)
	}
	if bb.State != feeds.EntryAccepted || bb.Section != "bigdata" {
		t.Errorf("stored entry B: %s in %s", bb.State, bb.Section)
	}
	if c.State != feeds.EntryRejected || d.State != feeds.EntryAccepted {
		t.Errorf("stored entries C %s, D %s", c.State, d.State)
	}
	var added []string
	for _, e := range ed.Entries {
		if e.ItemID == 0 {
			added = append(added, fmt.Sprintf("%s %s %s", e.Title, e.Section, e.State))
		}
	}
	if want := []string{"Kubernetes 1.3：从零到一 cloud accepted"}; !slices.Equal(added, want) {
		t.Errorf("stored added articles %q, want %q", added, want)
	}
	// The move and the rejection are the curator's examples.
	decisions, err := s.db.EditorDecisions(s.ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var learned []string
	for _, x := range decisions {
		learned = append(learned, fmt.Sprintf("%d %s %s->%s", x.ItemID, x.State, x.RulesSection, x.Section))
	}
	for _, want := range []string{fmt.Sprintf("%d rejected cloud->cloud", s.items["c"]), fmt.Sprintf("%d accepted cloud->bigdata", s.items["b"])} {
		if !slices.Contains(learned, want) {
			t.Errorf("editor decisions %q lack %q", learned, want)
		}
	}

	// The digest feed's entry of the issue is the published one.
	p := publisher.New(s.db, publisher.Options{BaseURL: "https://news.example.com", Title: "一周业内技术动态", Lang: "zh-CN",
		Sections: deskSections, Now: s.clock, Digest: s.b}, zerolog.Nop())
	feed, err := p.Feed(s.ctx, publisher.DigestView, "atom", feeds.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if body := string(feed.Body); !strings.Contains(body, ":digest/"+s.week.String()+"</id>") || !strings.Contains(body, "Weave Net 的 router 与 jar 包") ||
		strings.Contains(body, weekItems[2].title) {
		t.Errorf("the digest feed after publishing:\n%s", body)
	}
}

// layout is where the draft and the preview are, and the page's widths.
type layout struct {
	Draft       rect `json:"draft"`
	Preview     rect `json:"preview"`
	ScrollWidth int  `json:"scrollWidth"`
	InnerWidth  int  `json:"innerWidth"`
}

type rect struct {
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Right  float64 `json:"right"`
	Bottom float64 `json:"bottom"`
}

const layoutJS = `(() => {
	const box = sel => { const e = document.querySelector(sel); if (!e) return {left: -1, top: -1, right: -1, bottom: -1};
		const r = e.getBoundingClientRect(); return {left: r.left, top: r.top + scrollY, right: r.right, bottom: r.bottom + scrollY}; };
	return {draft: box("#draft"), preview: box("#preview"),
		scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth};
})()`

// TestBrowserDeskLayout: the draft beside its preview on a desktop, the
// preview under it on a phone, with no horizontal scroll; the screenshots
// are in the tests' artifact folders (go test -artifacts keeps them).
func TestBrowserDeskLayout(t *testing.T) {
	s := newDeskSite(t, weekItems, nil)
	for _, size := range []struct {
		name          string
		width, height int
		phone         bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
		t.Run(size.name, func(t *testing.T) {
			b := testutil.NewBrowser(t, size.width, size.height)
			if size.phone {
				b.Do("be a phone", chromedp.EmulateViewport(int64(size.width), int64(size.height), chromedp.EmulateMobile))
			}
			s.signIn(t, b, editorPassword)
			b.Screenshot(fmt.Sprintf("desk-%dx%d", size.width, size.height))
			l := testutil.Eval[layout](b, layoutJS)
			t.Logf("layout at %dx%d: %+v", size.width, size.height, l)
			if l.Draft.Left < 0 || l.Preview.Left < 0 {
				t.Fatalf("no #draft or no #preview: %+v", l)
			}
			if l.InnerWidth != size.width {
				t.Errorf("the page is %d px wide in a %d px viewport (a phone needs <meta name=viewport content=\"width=device-width\">)", l.InnerWidth, size.width)
			}
			if l.ScrollWidth > l.InnerWidth {
				wide := testutil.Eval[[]string](b, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 10).map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className + " right " + e.getBoundingClientRect().right)`)
				t.Errorf("horizontal scroll: the page is %d px wide in %d; too wide: %q", l.ScrollWidth, l.InnerWidth, wide)
			}
			if size.phone {
				if l.Preview.Top < l.Draft.Bottom-1 {
					t.Errorf("on a phone the preview (%+v) is not under the draft (%+v)", l.Preview, l.Draft)
				}
				return
			}
			if l.Preview.Left <= l.Draft.Left || l.Preview.Left < l.Draft.Right-1 || math.Abs(l.Preview.Top-l.Draft.Top) > 80 {
				t.Errorf("on a desktop the preview (%+v) is not beside the draft (%+v)", l.Preview, l.Draft)
			}
		})
	}
}

// pwnedMark is what the hostile payloads set when they run.
const pwnedMark = `window.__pwned`

// markedHostileHTML is the public page's hostile summary (publisher's tests),
// each payload setting window.__pwned instead of opening a dialog.
const markedHostileHTML = `<p>恶意要点一。<script>window.__pwned="script"</script></p>
<img src="x" onerror="window.__pwned='onerror'"><img src="/logo.png" alt="logo">
<a href="javascript:window.__pwned='js'">js</a> <a href="JaVaScRiPt:window.__pwned='mixed'">mixed case</a>
<a href="&#106;avascript:window.__pwned='entity'">entity</a> <a href="java&#x09;script:window.__pwned='tab'">tab</a>
<a href=" javascript:window.__pwned='space'">space</a>
<a href="data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZD0xPC9zY3JpcHQ+">data</a>
<a href="https://example.com/ok" onclick="window.__pwned='onclick'" onmouseover="window.__pwned='over'">ok</a>
<svg onload="window.__pwned='svg'"><a xlink:href="javascript:window.__pwned='svg-a'">svg</a></svg>
<iframe src="javascript:parent.__pwned='iframe'"></iframe><object data="x.swf"></object><embed src="x.swf">
<form action="javascript:window.__pwned='form'"><input name="q"><button>go</button></form><style>body{display:none}</style>
<div style="background:url(javascript:window.__pwned='style')">styled</div><meta http-equiv="refresh" content="0;url=javascript:window.__pwned='refresh'">
<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned='mxss'"></style></mglyph></table></mtext></math>
<base href="javascript:window.__pwned='base'//"><link rel="stylesheet" href="https://evil.example/x.css">
<details open ontoggle="window.__pwned='toggle'">toggle</details><video><source onerror="window.__pwned='video'"></video>
</textarea><script>window.__pwned='textarea'</script>"><img src=x onerror="window.__pwned='attr'">`

// markedHostileTitle breaks out of text, attributes and a textarea.
const markedHostileTitle = `恶意标题一<script>window.__pwned="title"</script>"><img src=x onerror="window.__pwned='title-attr'"></textarea><svg onload="window.__pwned='title-svg'">`

// TestBrowserDeskHostile: what sources wrote (titles, summaries, links)
// and the explanations quoting them run no script on the desk, neither on
// the draft, nor with the explanations open, nor in the check's problems.
func TestBrowserDeskHostile(t *testing.T) {
	items := []deskItem{
		{key: "h1", title: markedHostileTitle, summary: markedHostileHTML, path: "/h1", section: "cloud", score: 3},
		{key: "h2", title: "恶意链接二", summary: markedHostileHTML, link: "javascript:window.__pwned='link'", section: "cloud", score: 2},
		{key: "h3", title: `恶意标题三 <a href="javascript:window.__pwned='title-a'">点我</a>`, summary: "", path: "/h3", section: "bigdata", score: 1},
	}
	s := newDeskSite(t, items, func(ids map[string]int64) map[int64]curator.Explanation {
		out := map[int64]curator.Explanation{}
		for _, id := range ids {
			out[id] = curator.Explanation{Section: "cloud", Score: 3, Decision: curator.ByScore, Version: markedHostileTitle, Review: true, ReviewMargin: 1,
				Source: &curator.SourceInfo{Name: markedHostileTitle, DefaultSection: "cloud"},
				Scores: []curator.SectionScore{{Section: "cloud", Score: 3, Rules: 3}},
				Fired: []curator.Firing{{Section: "cloud", Rule: 1, Path: "rules/cloud.yaml#1", Name: markedHostileTitle, Score: 3,
					Matches: []curator.Match{{Field: "title", Term: markedHostileTitle, Text: markedHostileHTML}}}}}
		}
		return out
	})
	b := testutil.NewBrowser(t, 1280, 900)
	s.signIn(t, b, editorPassword)
	titleBefore := testutil.Eval[string](b, "document.title")

	// No element a source could have written: an event handler, a script
	// of the page's own, a frame or a plugin, a base or a refresh, a link
	// or a form that is not http(s).
	bad := `[...document.querySelectorAll("*")].filter(e =>
		[...e.attributes].some(a => /^on/i.test(a.name)) ||
		(e.tagName === "SCRIPT" && (!e.src || new URL(e.src).origin !== location.origin)) ||
		["IFRAME", "FRAME", "OBJECT", "EMBED", "BASE", "SVG", "MATH", "svg", "math"].includes(e.tagName) ||
		(e.tagName === "META" && e.httpEquiv) ||
		((e.tagName === "A" || e.tagName === "AREA") && e.hasAttribute("href") && !/^https?:$/.test(e.protocol)) ||
		(e.tagName === "FORM" && !/^https?:$/.test(new URL(e.action, location.href).protocol)))
		.map(e => e.outerHTML.slice(0, 200))`
	seen := 0 // console messages looked at
	check := func(when string) {
		t.Helper()
		if got := testutil.Eval[string](b, `String(`+pwnedMark+`)`); got != "undefined" {
			t.Errorf("%s: a payload ran: window.__pwned = %s", when, got)
		}
		if got := testutil.Eval[string](b, "document.title"); got != titleBefore {
			t.Errorf("%s: the page's title changed to %q", when, got)
		}
		if p := pagePath(t, b); p != s.issuePath() {
			t.Errorf("%s: the page went to %s", when, p)
		}
		if els := testutil.Eval[[]string](b, bad); len(els) > 0 {
			t.Errorf("%s: elements a source could have written:\n%s", when, strings.Join(els, "\n"))
		}
		console := b.Console()
		for _, m := range console[seen:] {
			// A payload that reached the page as markup is refused by the
			// CSP, which says so in the console: still markup rendered.
			if strings.Contains(m, "Content Security Policy") || strings.HasPrefix(m, "dialog:") {
				t.Errorf("%s: console: %s", when, m)
			}
		}
		seen = len(console)
	}
	check("the draft loaded")
	if got := pageText(b, "#draft"); !strings.Contains(got, "恶意标题一") || !strings.Contains(got, "恶意要点一。") {
		t.Errorf("the hostile items' text is not shown:\n%s", got)
	}

	n := testutil.Eval[int](b, `(() => { const ds = [...document.querySelectorAll("details.why")]; ds.forEach(d => d.querySelector("summary").click()); return ds.filter(d => d.open).length; })()`)
	if n != len(items) {
		t.Errorf("%d explanations open, want %d", n, len(items))
	}
	check("the explanations open")

	s.act(t, b, "run the check", chromedp.Click(chromedp.CSS(`#run-check`)))
	see(t, b, "the check", `#problems, #no-problems`)
	check("the problems listed")
	b.Load("reload the draft", chromedp.Reload())
	check("the draft reloaded")
}

// TestBrowserDeskCrossOrigin: a page of another origin that posts a form
// to the desk's publish, in the editor's signed-in browser, publishes
// nothing: from the same site on another port (the session cookie goes
// along) neither without the CSRF token nor with the editor's own, and
// from another site (localhost), where the SameSite=Strict cookie stays
// behind.
func TestBrowserDeskCrossOrigin(t *testing.T) {
	s := newDeskSite(t, weekItems, nil)
	b := testutil.NewBrowser(t, 1280, 900)
	s.signIn(t, b, editorPassword)
	token := testutil.Eval[string](b, `(document.querySelector("form#publish input[name=csrf]") || {value: ""}).value`)
	if token == "" {
		b.Errorf("form#publish has no csrf field")
	}
	publish := s.srv.URL + s.issuePath() + "/publish"

	var attack struct {
		mu    sync.Mutex
		token string
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attack.mu.Lock()
		tok := attack.token
		attack.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>win a prize</title>
<form id="f" method="post" action="%s"><input type="hidden" name="csrf" value="%s"></form>
<script>document.getElementById("f").submit()</script>`, publish, tok)
	}))
	t.Cleanup(evil.Close)
	_, port, _ := strings.Cut(strings.TrimPrefix(evil.URL, "http://"), ":")

	for _, c := range []struct {
		name, page, token string
		cookie            bool // the browser sends the desk's cookies along
	}{
		{"same site, no token", evil.URL + "/prize", "", true},
		{"same site, the editor's token", evil.URL + "/prize", token, true},
		{"another site", "http://localhost:" + port + "/prize", token, false},
	} {
		attack.mu.Lock()
		attack.token = c.token
		attack.mu.Unlock()
		s.mu.Lock()
		s.requests = nil
		s.mu.Unlock()
		b.Load(c.name+": open the attacking page", chromedp.Navigate(c.page))
		r := s.waitRequest(c.name+": the form's post", func(r request) bool { return r.method == http.MethodPost && r.path == s.issuePath()+"/publish" })
		t.Logf("%s: the desk answered %d (Sec-Fetch-Site %q, cookies sent: %v)", c.name, r.status, r.fetchSite, r.cookie != "")
		if (r.cookie != "") != c.cookie {
			t.Errorf("%s: cookies sent %q, want sent: %v", c.name, r.cookie, c.cookie)
		}
		if r.status < 400 {
			t.Errorf("%s: the desk answered the cross-origin post with %d", c.name, r.status)
		}
		if files := s.published(); len(files) != 0 {
			t.Fatalf("%s: the cross-origin post published %v", c.name, files)
		}
		if ed, err := s.db.EditedIssue(s.ctx, s.week); err == nil && (ed.Revision != 0 || ed.State != feeds.IssueDraft) {
			t.Fatalf("%s: the cross-origin post published: the issue is %s, revision %d", c.name, ed.State, ed.Revision)
		} else if err != nil && !errors.Is(err, feeds.ErrNotFound) {
			t.Fatal(err)
		}
	}

	// The session was good all along: the editor's own click publishes.
	b.Load("back to the desk", chromedp.Navigate(s.srv.URL+s.issuePath()))
	s.act(t, b, "publish", chromedp.Click(chromedp.CSS(`#publish-now`)))
	if files := s.published(); len(files) != 1 {
		t.Errorf("the editor's publish wrote %v", files)
	}
}

// TestBrowserDeskStaleEdit: a change to an entry that changed since the
// page showed it (from the command line, say) is refused with 409 and
// "changed meanwhile"; the other change stays, and what the editor typed
// is still on the page.
func TestBrowserDeskStaleEdit(t *testing.T) {
	s := newDeskSite(t, weekItems, nil)
	b := testutil.NewBrowser(t, 1280, 900)
	s.signIn(t, b, editorPassword)
	eA := s.entryOf(s.draft(), "a").ID

	meanwhile := "在命令行里写的按语。"
	if err := s.db.SetEntryNote(s.ctx, s.week, eA, meanwhile, s.now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	typed := "在浏览器里写的按语。"
	b.Do("type A's note", chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#entry-%d form.note textarea[name=note]", eA)), typed))
	if status := b.Load("save A's note", chromedp.Click(chromedp.CSS(fmt.Sprintf("#entry-%d form.note button", eA)))); status != http.StatusConflict {
		b.Errorf("a stale note was answered with %d, want 409", status)
	}
	if got := pageText(b, "body"); !strings.Contains(got, "changed meanwhile") {
		t.Errorf("the page does not say the entry changed meanwhile:\n%s", got)
	}
	if !testutil.Eval[bool](b, fmt.Sprintf(`[...document.querySelectorAll("textarea, input")].some(e => e.value === %q) || document.body.textContent.includes(%q)`, typed, typed)) {
		b.Errorf("what the editor typed is lost")
	}
	if note := s.entryOf(s.draft(), "a").Note; note != meanwhile {
		t.Errorf("the stored note is %q, want the one written meanwhile %q", note, meanwhile)
	}
}
