package daemon_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/feedcurator/feedcurator/desk"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/testutil"
	"github.com/feedcurator/feedcurator/sqlite"
)

// signIn tries password on the desk at base and reports whether it ended
// on a draft.
func signIn(t *testing.T, base, password string) bool {
	t.Helper()
	_, _, at := testutil.DeskSignIn(t, base, password)
	return strings.HasPrefix(at.Path, "/desk/issue/")
}

// TestDeskFollowsReload: the daemon serves the desk at /desk/; a new
// password and the remote switch apply at a reload, without a restart.
func TestDeskFollowsReload(t *testing.T) {
	dir := t.TempDir()
	feedsURL := sampleFeeds(t)
	h1, err := desk.HashPassword("first password")
	if err != nil {
		t.Fatal(err)
	}
	h2, err := desk.HashPassword("second password")
	if err != nil {
		t.Fatal(err)
	}
	path := testConfig(t, dir, feedsURL, "desk:\n  password_hash: "+h1+"\n")
	m := openDaemon(t, path)
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	remote := func() int {
		r := httptest.NewRequest("GET", "/desk/login", nil) // from 192.0.2.1
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, r)
		return rec.Code
	}
	if !signIn(t, srv.URL, "first password") || signIn(t, srv.URL, "second password") {
		t.Fatal("the configured password does not open the desk, or another one does")
	}
	if code := remote(); code != http.StatusForbidden {
		t.Errorf("a request from 192.0.2.1 gets %d, want 403", code)
	}
	os.WriteFile(path, []byte(testConfigText(t, path, "desk:\n  password_hash: "+h1+"\n", "desk:\n  password_hash: "+h2+"\n  allow_remote: true\n")), 0o644)
	if _, err := m.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if signIn(t, srv.URL, "first password") || !signIn(t, srv.URL, "second password") {
		t.Error("after the reload, the new password does not open the desk, or the old one still does")
	}
	if code := remote(); code != http.StatusOK {
		t.Errorf("with allow_remote, a request from 192.0.2.1 gets %d, want the login page", code)
	}
}

// testConfigText returns the file at path with old replaced by new.
func testConfigText(t *testing.T, path, old, new string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s lacks %q (%v)", path, old, err)
	}
	return strings.Replace(string(b), old, new, 1)
}

// deskSession is a signed-in editor's client of the desk, as a browser
// with cookies.
type deskSession struct {
	t      *testing.T
	client *http.Client
	base   string
	csrf   string
	page   string // the last page
	at     *url.URL
}

func newDeskSession(t *testing.T, base, password string) *deskSession {
	t.Helper()
	client, page, at := testutil.DeskSignIn(t, base, password)
	s := &deskSession{t: t, client: client, base: base, page: page, at: at}
	if !strings.HasPrefix(s.at.Path, "/desk/issue/") {
		t.Fatalf("signing in ends at %s:\n%s", s.at, s.page)
	}
	if m := testutil.DeskCSRF.FindStringSubmatch(page); m != nil {
		s.csrf = m[1]
	}
	return s
}

func (s *deskSession) read(resp *http.Response, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.page, s.at = string(b), resp.Request.URL
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("%s %s: %s\n%s", resp.Request.Method, resp.Request.URL, resp.Status, b)
	}
	if m := testutil.DeskCSRF.FindStringSubmatch(s.page); m != nil {
		s.csrf = m[1]
	}
}

func (s *deskSession) get(path string) { s.t.Helper(); s.read(s.client.Get(s.base + path)) }

// post sends form to path with the CSRF token of the last page and follows
// the desk's redirect to the page it shows next.
func (s *deskSession) post(path string, form url.Values) {
	s.t.Helper()
	form.Set("csrf", s.csrf)
	s.read(s.client.PostForm(s.base+path, form))
}

// TestDeskPublishesTheIssue: what the editor does on the desk of a running
// daemon is what it publishes: the edited 要点 and without the rejected
// item, in the Markdown post, the digest feed and the issue's page; and
// publishing teaches the curator (labelled examples).
func TestDeskPublishesTheIssue(t *testing.T) {
	dir := t.TempDir()
	hash, err := desk.HashPassword("the editor's password")
	if err != nil {
		t.Fatal(err)
	}
	posts := filepath.Join(dir, "_posts")
	path := testConfig(t, dir, sampleFeeds(t), "desk:\n  password_hash: "+hash+"\ndigest:\n  dir: "+posts+"\n")
	m := openDaemon(t, path)
	ctx := context.Background()
	if sum := m.Poller.PollAll(ctx, nil); sum.OK == 0 {
		t.Fatalf("poll: %+v", sum)
	}
	if _, _, err := m.Curator.ClassifyPending(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	s := newDeskSession(t, srv.URL, "the editor's password")
	// The samples are of November 2026: the week of the newest one.
	newest, err := m.DB.RecentItems(ctx, "", 1)
	if err != nil || len(newest) == 0 {
		t.Fatalf("no items: %v", err)
	}
	week := feeds.WeekOf(newest[0].Published.In(m.Digest.Options().Location))
	s.get("/desk/issue/" + week.String())
	ed, err := m.DB.EditedIssue(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	var accepted []feeds.IssueEntry
	for _, e := range ed.Entries {
		if e.State == feeds.EntryAccepted && e.Item != nil {
			accepted = append(accepted, e)
		}
	}
	if len(accepted) < 3 {
		t.Fatalf("the draft of %s has %d accepted items: %+v", week, len(accepted), ed.Entries)
	}
	keep, drop := accepted[0], accepted[1]
	v := func(e feeds.IssueEntry) string { return strconv.FormatInt(e.UpdatedAt.UnixMilli(), 10) }
	const summary = "编辑写的要点：这一条值得一读。"
	s.post(fmt.Sprintf("/desk/issue/%s/entry/%d/summary", week, keep.ID), url.Values{"summary": {summary}, "v": {v(keep)}})
	s.post(fmt.Sprintf("/desk/issue/%s/entry/%d/state", week, drop.ID), url.Values{"state": {"rejected"}, "v": {v(drop)}})
	if !strings.Contains(s.page, summary) {
		t.Errorf("the draft page after the edit lacks the editor's 要点:\n%s", s.page)
	}
	s.post(fmt.Sprintf("/desk/issue/%s/publish", week), url.Values{})

	files, _ := filepath.Glob(filepath.Join(posts, "*.md"))
	if len(files) != 1 {
		t.Fatalf("published posts: %v", files)
	}
	post, _ := os.ReadFile(files[0])
	h := m.Handler()
	fetch := func(path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	for what, body := range map[string]string{
		"the Markdown post":  string(post),
		"the digest feed":    html.UnescapeString(fetch("/feeds/digest.atom")),
		"the issue's page":   fetch("/digest/" + week.String() + ".html"),
		"the desk's preview": s.page,
	} {
		if !strings.Contains(body, summary) {
			t.Errorf("%s lacks the editor's 要点:\n%s", what, body)
		}
		if what != "the desk's preview" && (strings.Contains(body, drop.Item.Link) || strings.Contains(html.UnescapeString(body), drop.Item.Link)) {
			t.Errorf("%s shows the rejected %q (%s):\n%s", what, drop.Item.Title, drop.Item.Link, body)
		}
	}
	examples, err := m.DB.Examples(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	origins := map[int64]string{}
	for _, e := range examples {
		origins[e.ItemID] = e.Origin
	}
	if origins[keep.ItemID] != sqlite.OriginPublished || origins[drop.ItemID] != sqlite.OriginRejected {
		t.Errorf("after publishing, the kept item's label is %q and the rejected one's %q", origins[keep.ItemID], origins[drop.ItemID])
	}
}
