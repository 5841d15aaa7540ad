package daemon_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/feedcurator/feedcurator/desk"
)

// signIn tries password on the desk at base as a browser would (the login
// form's token and cookie) and reports whether it ended on a draft.
func signIn(t *testing.T, base, password string) bool {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, err := client.Get(base + "/desk/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("the login page (%s) has no CSRF token:\n%s", resp.Status, page)
	}
	resp, err = client.PostForm(base+"/desk/login", url.Values{"password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Request.URL.Path, "/desk/issue/")
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
