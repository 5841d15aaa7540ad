package desk_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/feedcurator/feedcurator/aggregator"
	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/desk"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/sqlite"
)

// The store and the digest satisfy what the desk asks of them.
var (
	_ desk.Builder = (*digest.Builder)(nil)
	_ desk.Store   = (*sqlite.DB)(nil)
)

// password is the editor's password in the tests.
const password = "correct horse 电池 staple"

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }

var sections = []feeds.Section{{ID: "cloud", Title: "云计算及容器技术"}, {ID: "bigdata", Title: "大数据"}, {ID: "security", Title: "安全"}}

// w25 and w26 are the weeks of the tests: w25 published, w26 the draft the
// desk opens (the clock is in it).
var (
	w25 = feeds.Week{Year: 2016, Week: 25}
	w26 = feeds.Week{Year: 2016, Week: 26}
)

// env is a store with sources and items, the digest over it, a loopback
// site for added URLs and links, and the desk served over real HTTP.
type env struct {
	t      *testing.T
	ctx    context.Context
	db     *sqlite.DB
	clock  *clock
	srcs   []feeds.Source
	site   *httptest.Server
	b      *digest.Builder
	desk   *desk.Desk
	srv    *httptest.Server
	remote atomic.Bool
	hash   atomic.Value // string
	review map[int64]bool
	ids    map[string]int64 // stored items by key
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: &clock{now: w26.Start(time.UTC).Add(50 * time.Hour)},
		review: map[int64]bool{}, ids: map[string]int64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Page | Site</title>
<meta property="og:title" content="Kubernetes 1.3：从零到一 &lt;script&gt;alert(1)&lt;/script&gt;">
<meta property="og:description" content="Kubernetes 1.3 的新特性。&lt;img src=x onerror=alert(1)&gt;">
</head><body></body></html>`)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><head><title>ok</title></head></html>")
	})
	e.site = httptest.NewServer(mux)
	t.Cleanup(e.site.Close)

	db, err := sqlite.Open(e.ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.srcs, err = db.SyncSources(e.ctx, []feeds.Source{
		{Name: "InfoQ 中文", ConfigURL: "https://www.infoq.cn/feed"},
		{Name: "Kubernetes Blog", ConfigURL: "https://kubernetes.io/feed.xml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := digest.DefaultOptions()
	o.Sections = sections
	o.SummaryMax = 30 // the 要点 of item a is cut after its first sentence
	o.Dir = t.TempDir()
	o.Now = e.clock.Now
	o.HTTPClient = aggregator.NewHTTPClient(aggregator.Options{})
	o.CheckTimeout = 5 * time.Second
	o.TitleKey = curator.TitleKey
	e.b = digest.New(db, o, zerolog.New(zerolog.NewTestWriter(t)))

	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost) // the desk takes any bcrypt cost
	if err != nil {
		t.Fatal(err)
	}
	e.hash.Store(string(h))
	e.desk = desk.New(desk.Options{
		Builder: e.b,
		Store:   db,
		Explain: func(ctx context.Context, id int64) (curator.Explanation, error) {
			return curator.Explanation{Section: "cloud", Score: 2.5, Decision: "ByScore", Review: e.review[id], ReviewMargin: 0.5,
				Threshold: 1, Version: "v1", Source: &curator.SourceInfo{Name: `<script>alert("why")</script>`},
				Scores: []curator.SectionScore{{Section: "cloud", Score: 2.5, Rules: 2.5}}}, nil
		},
		PasswordHash: func() string { return e.hash.Load().(string) },
		Remote:       e.remote.Load,
		Logger:       zerolog.New(zerolog.NewTestWriter(t)),
		Now:          e.clock.Now,
	})
	mux2 := http.NewServeMux()
	mux2.Handle("/desk/", e.desk)
	e.srv = httptest.NewServer(mux2)
	t.Cleanup(e.srv.Close)
	return e
}

// item is an item to store.
type item struct {
	src       int
	key       string
	title     string
	summary   string
	link      string
	at        time.Time
	section   string
	score     float64
	canonical bool
}

// add stores items and classifies them, returning their IDs.
func (e *env) add(its ...item) []int64 {
	e.t.Helper()
	var ids []int64
	for _, it := range its {
		link := it.link
		if link == "" {
			link = e.site.URL + "/" + it.key // the check asks every link: none leaves the machine
		}
		fi := feeds.Item{GUID: it.key, Link: link, Title: it.title, Summary: it.summary, Published: it.at}
		src := e.srcs[it.src]
		if _, err := e.db.SaveFetch(e.ctx, src.ID, feeds.FetchState{URL: src.ConfigURL}, []feeds.Item{fi}, it.at.Add(time.Hour)); err != nil {
			e.t.Fatal(err)
		}
		stored, err := e.db.ListItems(e.ctx, sqlite.ItemFilter{Unpublished: true, Limit: 1000})
		if err != nil {
			e.t.Fatal(err)
		}
		found := false
		for _, s := range stored {
			if s.GUID != it.key {
				continue
			}
			c := feeds.Classification{ItemID: s.ID, Section: it.section, Score: it.score, TitleKey: curator.TitleKey(it.title)}
			if it.canonical {
				c.CanonicalURL = feeds.CanonicalURL(link)
			}
			if _, err := e.db.SetSections(e.ctx, "v1", []feeds.Classification{c}); err != nil {
				e.t.Fatal(err)
			}
			ids = append(ids, s.ID)
			e.ids[it.key] = s.ID
			found = true
		}
		if !found {
			e.t.Fatalf("item %s was not stored", it.key)
		}
	}
	return ids
}

// week26 stores week 26's candidates (and week 25's published issue,
// whose article comes back) and returns the draft.
func (e *env) week26() *feeds.EditedIssue {
	e.t.Helper()
	mon25, mon26 := w25.Start(time.UTC), w26.Start(time.UTC)
	now := e.clock.Now()
	e.add(item{src: 0, key: "old", title: "去年的文章：容器网络的七种方案", summary: "旧文。", link: e.site.URL + "/featured",
		at: mon25.Add(30 * time.Hour), section: "cloud", score: 1, canonical: true})
	e.clock.Set(mon26.Add(10 * time.Hour))
	if _, err := e.b.Publish(e.ctx, w25); err != nil {
		e.t.Fatal(err)
	}
	e.clock.Set(now)
	e.add(
		item{src: 0, key: "a", title: "浅谈Docker安全：技术、生态和最新的安全特性", summary: "本文从容器安全、镜像安全等方面介绍docker安全。后面还有很多内容。",
			at: mon26.Add(2 * time.Hour), section: "cloud", score: 3},
		item{src: 1, key: "b", title: "深度解读Weaveworks的容器网络方案", summary: "Weave Net是容器网络方案。", at: mon26.Add(4 * time.Hour),
			section: "cloud", score: 5, link: e.site.URL + "/weave", canonical: true},
		item{src: 0, key: "again", title: "再谈容器网络的七种方案", summary: "旧文重发。", link: e.site.URL + "/featured",
			at: mon26.Add(5 * time.Hour), section: "cloud", score: 0.5, canonical: true},
		item{src: 1, key: "d", title: "Spark 2.0 的结构化流处理", summary: "结构化流。", at: mon26.Add(8 * time.Hour), section: "bigdata", score: 2,
			link: e.site.URL + "/gone"},
	)
	e.review[e.ids["a"]] = true
	ed, err := e.b.Draft(e.ctx, w26)
	if err != nil {
		e.t.Fatal(err)
	}
	return ed
}

// issue returns week w's issue as the store has it.
func (e *env) issue(w feeds.Week) *feeds.EditedIssue {
	e.t.Helper()
	ed, err := e.db.EditedIssue(e.ctx, w)
	if err != nil {
		e.t.Fatal(err)
	}
	return ed
}

// entry returns the entry of item key in ed.
func (e *env) entry(ed *feeds.EditedIssue, key string) *feeds.IssueEntry {
	e.t.Helper()
	id := e.ids[key]
	for i := range ed.Entries {
		if ed.Entries[i].ItemID == id {
			return &ed.Entries[i]
		}
	}
	e.t.Fatalf("item %s (%d) is not in the issue: %+v", key, id, ed.Entries)
	return nil
}

// browser is a client of the desk with its own cookies; it does not
// follow redirects, so that the tests see them.
type browser struct {
	t      *testing.T
	e      *env
	c      *http.Client
	header http.Header // sent with every request
	csrf   string      // the token of the last page that had one
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{t: e.t, e: e, header: http.Header{},
		c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a response of the desk.
type page struct {
	status int
	header http.Header
	body   string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	if m := csrfRE.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do("GET", path, nil) }

// post sends form with the last page's CSRF token (unless form has one).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	return b.do("POST", path, form)
}

// signIn signs in with the editor's password.
func (b *browser) signIn() {
	b.t.Helper()
	b.get("/desk/login")
	p := b.post("/desk/login", url.Values{"password": {password}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/desk/" {
		b.t.Fatalf("sign-in: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
}

// draft loads week w's draft page.
func (b *browser) draft(w feeds.Week) page {
	b.t.Helper()
	p := b.get("/desk/issue/" + w.String())
	if p.status != http.StatusOK {
		b.t.Fatalf("draft %s: %d\n%s", w, p.status, p.body)
	}
	return p
}

// v returns the version the page shows for entry id.
func (p page) v(t *testing.T, id int64) string {
	t.Helper()
	art := p.article(t, id)
	m := regexp.MustCompile(`name="v" value="(\d+)"`).FindStringSubmatch(art)
	if m == nil {
		t.Fatalf("entry %d has no v:\n%s", id, art)
	}
	return m[1]
}

// article returns the HTML of entry id's article.
func (p page) article(t *testing.T, id int64) string {
	t.Helper()
	start := strings.Index(p.body, `<article class="entry`)
	for start >= 0 {
		end := strings.Index(p.body[start:], "</article>")
		if end < 0 {
			break
		}
		art := p.body[start : start+end]
		if strings.Contains(art, `id="entry-`+strconv.FormatInt(id, 10)+`"`) {
			return art
		}
		next := strings.Index(p.body[start+end:], `<article class="entry`)
		if next < 0 {
			break
		}
		start += end + next
	}
	t.Fatalf("no entry %d on the page:\n%s", id, p.body)
	return ""
}

// flash returns the page's flash message, "" for none.
func (p page) flash() string {
	m := regexp.MustCompile(`(?s)<p id="flash"[^>]*>(.*?)</p>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// entryPath is the path of a change of entry id in week w.
func entryPath(w feeds.Week, id int64, what string) string {
	return fmt.Sprintf("/desk/issue/%s/entry/%d/%s", w, id, what)
}
