package desk_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"

	"github.com/feedcurator/feedcurator/desk"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/testutil"
)

// snapshot is what the store keeps of w's issue, to compare before and
// after a refused change.
func (e *env) snapshot(w feeds.Week) string {
	e.t.Helper()
	b, err := json.Marshal(e.issue(w))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// change is one change the desk offers, with a form that would succeed.
type change struct {
	path string
	form url.Values
}

// changes returns one change per route for the draft ed, each form with
// the entry's current version (as a page would show it).
func (e *env) changes(ed *feeds.EditedIssue) []change {
	x := e.entry(ed, "a")
	v := strconv.FormatInt(x.UpdatedAt.UnixMilli(), 10)
	return []change{
		{entryPath(w26, x.ID, "state"), url.Values{"state": {"rejected"}, "v": {v}}},
		{entryPath(w26, x.ID, "move"), url.Values{"section": {"security"}, "v": {v}}},
		{entryPath(w26, x.ID, "summary"), url.Values{"summary": {"forged 要点"}, "v": {v}}},
		{entryPath(w26, x.ID, "note"), url.Values{"note": {"forged note"}, "v": {v}}},
		{entryPath(w26, x.ID, "related"), url.Values{"add": {"https://evil.example/"}, "v": {v}}},
		{"/desk/issue/2016-W26/note", url.Values{"note": {"forged 编者按"}}},
		{"/desk/issue/2016-W26/add-url", url.Values{"section": {"cloud"}, "url": {e.site.URL + "/page"}}},
		{"/desk/issue/2016-W26/check", url.Values{}},
		{"/desk/issue/2016-W26/publish", url.Values{}},
		{"/desk/issue/2016-W26/auto-publish", url.Values{"on": {"0"}}},
	}
}

// withToken returns form with csrf set to token.
func withToken(form url.Values, token string) url.Values {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf", token)
	return f
}

// TestNoChangeWithoutSession posts every change without a session (none,
// or a made-up one): each is refused and the store is as it was; every
// page sends the browser to the sign-in form.
func TestNoChangeWithoutSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ed := e.week26()
	before := e.snapshot(w26)
	b := e.browser()
	b.get("/desk/login") // a login token, which is no session's
	for _, c := range e.changes(ed) {
		if r := b.post(c.path, c.form); r.status != http.StatusForbidden {
			t.Errorf("POST %s without a session: %d, want 403", c.path, r.status)
		}
	}
	forged := e.browser()
	u, _ := url.Parse(e.srv.URL + "/desk/")
	forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: "feedcurator_desk", Value: strings.Repeat("A", 43), Path: "/desk/"}})
	for _, c := range e.changes(ed) {
		if r := forged.post(c.path, withToken(c.form, strings.Repeat("A", 43))); r.status != http.StatusForbidden {
			t.Errorf("POST %s with a made-up session: %d, want 403", c.path, r.status)
		}
	}
	if after := e.snapshot(w26); after != before {
		t.Errorf("changes without a session changed the issue:\nbefore %s\nafter  %s", before, after)
	}
	for _, path := range []string{"/desk/", "/desk/issue/2016-W26", "/desk/issue/2016-W27", "/desk/nowhere"} {
		if r := b.get(path); r.status != http.StatusSeeOther || r.header.Get("Location") != "/desk/login" {
			t.Errorf("GET %s without a session: %d to %q, want 303 to /desk/login", path, r.status, r.header.Get("Location"))
		}
	}
	if _, err := e.db.EditedIssue(e.ctx, w27); err == nil {
		t.Errorf("a page asked for without a session created the draft of %s", w27)
	}
}

var w27 = feeds.Week{Year: 2016, Week: 27}

// TestNoChangeWithoutCSRF posts every change with a session but without
// its token: none, a wrong one, the login form's, another session's.
func TestNoChangeWithoutCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ed := e.week26()
	b := e.browser()
	b.signIn()
	b.draft(w26)
	other := e.browser()
	other.signIn()
	other.draft(w26)
	login := e.browser()
	login.get("/desk/login")
	if other.csrf == b.csrf || login.csrf == b.csrf {
		t.Fatalf("two sessions share a token: %q %q %q", b.csrf, other.csrf, login.csrf)
	}
	before := e.snapshot(w26)
	for _, c := range e.changes(ed) {
		for name, token := range map[string]string{"no": "", "a wrong": b.csrf[:len(b.csrf)-1] + "x", "the login form's": login.csrf,
			"another session's": other.csrf, "a longer": b.csrf + "A"} {
			f := withToken(c.form, token)
			if token == "" {
				f.Del("csrf")
			}
			r := b.do("POST", c.path, f)
			if r.status != http.StatusForbidden {
				t.Errorf("POST %s with %s token: %d, want 403", c.path, name, r.status)
			}
		}
	}
	if r := b.do("POST", "/desk/logout", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("sign-out without a token: %d, want 403", r.status)
	}
	if after := e.snapshot(w26); after != before {
		t.Errorf("changes without a valid token changed the issue:\nbefore %s\nafter  %s", before, after)
	}
	// The same changes with the token go through (the forms were right).
	r := b.post(e.changes(ed)[0].path, e.changes(ed)[0].form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("the change with its token: %d\n%s", r.status, r.body)
	}
}

// TestCrossSiteRefused posts a change with a session and its token, as a
// page of another site would make the browser send it.
func TestCrossSiteRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ed := e.week26()
	b := e.browser()
	b.signIn()
	b.draft(w26)
	before := e.snapshot(w26)
	for _, h := range []map[string]string{
		{"Origin": "http://evil.example"},
		{"Origin": "null"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost"},
	} {
		b.header = http.Header{}
		for k, v := range h {
			b.header.Set(k, v)
		}
		for _, c := range e.changes(ed) {
			if r := b.post(c.path, c.form); r.status != http.StatusForbidden {
				t.Errorf("POST %s with %v: %d, want 403", c.path, h, r.status)
			}
		}
		if r := b.post("/desk/login", url.Values{"password": {password}}); r.status != http.StatusForbidden {
			t.Errorf("sign-in with %v: %d, want 403", h, r.status)
		}
	}
	if after := e.snapshot(w26); after != before {
		t.Errorf("cross-site changes changed the issue:\nbefore %s\nafter  %s", before, after)
	}
	// The browser's own pages send Origin and Sec-Fetch-Site too.
	u, _ := url.Parse(e.srv.URL)
	b.header = http.Header{"Origin": {"http://" + u.Host}, "Sec-Fetch-Site": {"same-origin"}}
	c := e.changes(ed)[0]
	if r := b.post(c.path, c.form); r.status != http.StatusSeeOther {
		t.Errorf("a same-origin change: %d, want 303\n%s", r.status, r.body)
	}
}

// TestWrongPasswordsSlowedDown signs in with wrong passwords: after three
// within a minute the next attempt is answered 429 with Retry-After,
// whatever its password, until the first failure is a minute old.
func TestWrongPasswordsSlowedDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	b.get("/desk/login")
	for i := 1; i <= 3; i++ {
		r := b.post("/desk/login", url.Values{"password": {"wrong " + strconv.Itoa(i)}})
		if r.status != http.StatusUnauthorized || r.flash() == "" {
			t.Fatalf("wrong password %d: %d %q, want 401 and a message", i, r.status, r.flash())
		}
		e.clock.Add(10 * time.Second)
	}
	r := b.post("/desk/login", url.Values{"password": {password}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("4th attempt after 3 failures: %d, want 429\n%s", r.status, r.body)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra != 30 {
		t.Errorf("Retry-After %q, want 30 (the first failure is 30s old)", r.header.Get("Retry-After"))
	}
	if !strings.Contains(r.flash(), "30 seconds") {
		t.Errorf("the page says %q", r.flash())
	}
	if c := b.c.Jar.Cookies(mustURL(t, e.srv.URL+"/desk/")); hasCookie(c, "feedcurator_desk") {
		t.Errorf("a throttled attempt started a session")
	}
	e.clock.Add(29 * time.Second)
	if r := b.post("/desk/login", url.Values{"password": {password}}); r.status != http.StatusTooManyRequests {
		t.Errorf("one second before the window ends: %d, want 429", r.status)
	}
	e.clock.Add(time.Second)
	if r := b.post("/desk/login", url.Values{"password": {password}}); r.status != http.StatusSeeOther {
		t.Errorf("once the first failure is a minute old: %d, want 303\n%s", r.status, r.body)
	}
	// Another client is not slowed down by this one's failures.
	e.remote.Store(true)
	for i := 0; i < 3; i++ {
		if r := directLogin(t, e, "wrong", func(r *http.Request) { r.RemoteAddr = "192.0.2.7:4000" }); r.Code != http.StatusUnauthorized {
			t.Fatalf("remote wrong password: %d", r.Code)
		}
	}
	if r := directLogin(t, e, password, func(r *http.Request) { r.RemoteAddr = "192.0.2.7:4000" }); r.Code != http.StatusTooManyRequests {
		t.Errorf("4th attempt of 192.0.2.7: %d, want 429", r.Code)
	}
	if r := directLogin(t, e, password, func(r *http.Request) { r.RemoteAddr = "192.0.2.8:4000" }); r.Code != http.StatusSeeOther {
		t.Errorf("another client: %d, want 303", r.Code)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func hasCookie(cs []*http.Cookie, name string) bool {
	for _, c := range cs {
		if c.Name == name && c.Value != "" {
			return true
		}
	}
	return false
}

// direct sends one request straight to the desk's handler, with prepare
// applied (a remote address, headers, TLS), and returns the response.
func direct(e *env, method, target string, form url.Values, cookies []*http.Cookie, prepare func(*http.Request)) *httptest.ResponseRecorder {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.RemoteAddr = "127.0.0.1:40000"
	for _, c := range cookies {
		r.AddCookie(c)
	}
	if prepare != nil {
		prepare(r)
	}
	w := httptest.NewRecorder()
	e.desk.ServeHTTP(w, r)
	return w
}

// directLogin signs in through the handler: the form, then the post.
func directLogin(t *testing.T, e *env, pw string, prepare func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	form := direct(e, "GET", "http://desk.test/desk/login", nil, nil, prepare)
	if form.Code != http.StatusOK {
		t.Fatalf("GET /desk/login: %d\n%s", form.Code, form.Body)
	}
	m := csrfRE.FindStringSubmatch(form.Body.String())
	if m == nil {
		t.Fatalf("no token on the login form:\n%s", form.Body)
	}
	return direct(e, "POST", "http://desk.test/desk/login", url.Values{"password": {pw}, "csrf": {m[1]}},
		form.Result().Cookies(), prepare)
}

// TestLoginForm: the form's own token is needed; a missing password hash
// says how to set one.
func TestLoginForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	p := b.get("/desk/login")
	for _, want := range []string{`<form id="login" method="post" action="/desk/login">`, `<input id="password" name="password" type="password"`,
		`id="signin"`, `lang="zh-CN"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the login page lacks %s", want)
		}
	}
	if r := b.post("/desk/login", url.Values{"password": {password}, "csrf": {""}}); r.status != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d, want 403", r.status)
	}
	// The token of the form without its cookie.
	fresh := e.browser()
	if r := fresh.post("/desk/login", url.Values{"password": {password}, "csrf": {b.csrf}}); r.status != http.StatusForbidden {
		t.Errorf("sign-in with another browser's form token: %d, want 403", r.status)
	}
	e.hash.Store("")
	p = b.get("/desk/login")
	if !strings.Contains(p.body, "feedcurator desk passwd") {
		t.Errorf("without a password hash the login page does not say how to set one")
	}
	if r := b.post("/desk/login", url.Values{"password": {password}}); r.status != http.StatusForbidden {
		t.Errorf("sign-in without a configured hash: %d, want 403", r.status)
	}
}

// TestLoopbackOnly: the desk answers only loopback and unproxied
// requests unless Remote says otherwise.
func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.week26()
	for _, c := range []struct {
		name    string
		prepare func(*http.Request)
	}{
		{"from 192.0.2.1", func(r *http.Request) { r.RemoteAddr = "192.0.2.1:5555" }},
		{"from 2001:db8::1", func(r *http.Request) { r.RemoteAddr = "[2001:db8::1]:5555" }},
		{"through a proxy (X-Forwarded-For)", func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.5") }},
		{"through a proxy (Forwarded)", func(r *http.Request) { r.Header.Set("Forwarded", "for=203.0.113.5") }},
		{"through a proxy (X-Real-IP)", func(r *http.Request) { r.Header.Set("X-Real-IP", "203.0.113.5") }},
	} {
		e.remote.Store(false)
		for _, path := range []string{"/desk/login", "/desk/", "/desk/assets/desk.css"} {
			if r := direct(e, "GET", "http://desk.test"+path, nil, nil, c.prepare); r.Code != http.StatusForbidden {
				t.Errorf("GET %s %s: %d, want 403", path, c.name, r.Code)
			}
		}
		if r := direct(e, "POST", "http://desk.test/desk/login", url.Values{"password": {password}}, nil, c.prepare); r.Code != http.StatusForbidden {
			t.Errorf("POST /desk/login %s: %d, want 403", c.name, r.Code)
		}
		e.remote.Store(true)
		if r := direct(e, "GET", "http://desk.test/desk/login", nil, nil, c.prepare); r.Code != http.StatusOK {
			t.Errorf("GET /desk/login %s with remote allowed: %d, want 200", c.name, r.Code)
		}
		if r := directLogin(t, e, password, c.prepare); r.Code != http.StatusSeeOther {
			t.Errorf("sign-in %s with remote allowed: %d, want 303", c.name, r.Code)
		}
	}
	e.remote.Store(false)
	if r := direct(e, "GET", "http://desk.test/desk/login", nil, nil, func(r *http.Request) { r.RemoteAddr = "[::1]:5555" }); r.Code != http.StatusOK {
		t.Errorf("GET from ::1: %d, want 200", r.Code)
	}
}

// sessionCookie returns the cookie named name that rec sets.
func setCookie(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie set: %v", name, rec.Header()["Set-Cookie"])
	return nil
}

// TestCookies checks the attributes of the desk's cookies, Secure behind
// https (direct, or through a proxy the configuration trusts) only.
func TestCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		name    string
		remote  bool
		prepare func(*http.Request)
		secure  bool
	}{
		{"plain http", false, nil, false},
		{"https", false, func(r *http.Request) { r.TLS = &tls.ConnectionState{} }, true},
		{"https behind a trusted proxy", true, func(r *http.Request) {
			r.Header.Set("X-Forwarded-For", "203.0.113.5")
			r.Header.Set("X-Forwarded-Proto", "https")
		}, true},
		{"http behind a trusted proxy", true, func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.5") }, false},
		{"X-Forwarded-Proto without trust", false, func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }, false},
	} {
		e.remote.Store(c.remote)
		rec := directLogin(t, e, password, c.prepare)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%s: sign-in %d\n%s", c.name, rec.Code, rec.Body)
		}
		s := setCookie(t, rec, "feedcurator_desk")
		if !s.HttpOnly || s.SameSite != http.SameSiteStrictMode || s.Path != "/desk/" || s.Secure != c.secure {
			t.Errorf("%s: session cookie %q, want HttpOnly, SameSite=Strict, Path=/desk/, Secure=%v", c.name, rec.Header()["Set-Cookie"], c.secure)
		}
		if len(s.Value) < 43 { // 256 bits, base64
			t.Errorf("%s: session ID %q is short", c.name, s.Value)
		}
		form := direct(e, "GET", "http://desk.test/desk/login", nil, nil, c.prepare)
		l := setCookie(t, form, "feedcurator_desk_login")
		if !l.HttpOnly || l.SameSite != http.SameSiteStrictMode || l.Path != "/desk/" || l.Secure != c.secure {
			t.Errorf("%s: login cookie %q", c.name, form.Header()["Set-Cookie"])
		}
	}
}

// TestSessions: a sign-in gives a new session ID and ends the old one; a
// session ends after 12 hours unused and 7 days after sign-in.
func TestSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.week26()
	u := mustURL(t, e.srv.URL+"/desk/")
	b := e.browser()
	b.signIn()
	first := cookieValue(b.c.Jar.Cookies(u), "feedcurator_desk")
	// Signing in again with the session's cookie still sent: a new ID,
	// and the old one ends.
	form := direct(e, "GET", "http://desk.test/desk/login", nil, nil, nil)
	m := csrfRE.FindStringSubmatch(form.Body.String())
	rec := direct(e, "POST", "http://desk.test/desk/login", url.Values{"password": {password}, "csrf": {m[1]}},
		append(form.Result().Cookies(), &http.Cookie{Name: "feedcurator_desk", Value: first}), nil)
	second := setCookie(t, rec, "feedcurator_desk").Value
	if rec.Code != http.StatusSeeOther || second == first || second == "" {
		t.Fatalf("signing in again: %d, session %q then %q", rec.Code, first, second)
	}
	if r := b.get("/desk/issue/2016-W26"); r.status != http.StatusSeeOther {
		t.Errorf("the session before the sign-in still works: %d", r.status)
	}
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "feedcurator_desk", Value: second, Path: "/desk/"}})
	b.draft(w26)

	// Idle: 11 hours is fine, 12 hours and a minute is not.
	e.clock.Add(11 * time.Hour)
	b.draft(w26)
	e.clock.Add(12*time.Hour + time.Minute)
	if r := b.get("/desk/issue/2016-W26"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/desk/login" {
		t.Errorf("after 12h idle: %d %q, want 303 to the login", r.status, r.header.Get("Location"))
	}

	// Absolute: used every 11 hours, the session still ends at 7 days.
	b.signIn()
	start := e.clock.Now()
	for {
		e.clock.Add(11 * time.Hour)
		r := b.get("/desk/issue/2016-W26")
		over := e.clock.Now().Sub(start) > 7*24*time.Hour
		if over {
			if r.status != http.StatusSeeOther {
				t.Errorf("%s after sign-in: %d, want the session ended", e.clock.Now().Sub(start), r.status)
			}
			break
		}
		if r.status != http.StatusOK {
			t.Fatalf("%s after sign-in, used every 11h: %d", e.clock.Now().Sub(start), r.status)
		}
	}
}

func cookieValue(cs []*http.Cookie, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// TestSecurityHeaders: every desk response carries the CSP and the other
// headers, error pages too.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.week26()
	b := e.browser()
	check := func(what string, h http.Header) {
		t.Helper()
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"Cache-Control":           "no-store",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", what, k, got, want)
			}
		}
	}
	check("login", b.get("/desk/login").header)
	check("refused change", b.post("/desk/issue/2016-W26/publish", nil).header)
	b.signIn()
	check("draft", b.draft(w26).header)
	check("unknown page", b.get("/desk/nowhere").header)
	for name, ctype := range map[string]string{"desk.css": "text/css; charset=utf-8", "desk.js": "text/javascript; charset=utf-8"} {
		r := b.get("/desk/assets/" + name)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != ctype || len(r.body) < 100 {
			t.Errorf("asset %s: %d %q %d bytes", name, r.status, r.header.Get("Content-Type"), len(r.body))
		}
	}
	if r := b.get("/desk/assets/../desk.go"); r.status == http.StatusOK {
		t.Errorf("an asset path outside the assets: %d", r.status)
	}
	// A week not begun has no draft yet, and opening it makes none (its
	// candidates would all arrive as "later").
	if r := b.get("/desk/issue/2016-W27"); r.status != http.StatusNotFound || !strings.Contains(r.flash(), "has not begun") {
		t.Errorf("a week not begun: %d %q, want 404", r.status, r.flash())
	}
	if r := b.post("/desk/issue/2016-W27/note", url.Values{"note": {"早了"}}); r.status != http.StatusNotFound {
		t.Errorf("a change of a week not begun: %d, want 404", r.status)
	}
	if _, err := e.db.EditedIssue(e.ctx, w27); err == nil {
		t.Errorf("the desk made a draft of %s before it began", w27)
	}
	if strings.Contains(b.draft(w26).body, `href="/desk/issue/2016-W27"`) {
		t.Errorf("the draft of the week under way links to the next week")
	}
	if r := b.get("/desk/issue/2016-W99"); r.status != http.StatusNotFound {
		t.Errorf("a week that does not exist: %d, want 404", r.status)
	}
}

// TestHashPassword: bcrypt at cost 12 or more; short passwords refused.
// (One hash and one comparison: at that cost each takes seconds under the
// race detector.)
func TestHashPassword(t *testing.T) {
	t.Parallel()
	if _, err := desk.HashPassword("1234567"); err == nil {
		t.Errorf("a 7-byte password was hashed")
	}
	if _, err := desk.HashPassword(strings.Repeat("长", 25)); err == nil { // 75 bytes: bcrypt would cut it
		t.Errorf("a password longer than bcrypt reads was hashed")
	}
	h, err := desk.HashPassword("密码八个字节")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost < 12 {
		t.Errorf("hash %q: cost %d %v, want >= 12", h, cost, err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(h), []byte("密码八个字节")); err != nil {
		t.Errorf("hash %q does not verify its password: %v", h, err)
	}
}

// TestStaleVersion changes an entry behind the page's back (from the
// command line, say): a change made from the page as it was is refused
// with 409, changes nothing, and shows what the editor wrote again.
func TestStaleVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ed := e.week26()
	b := e.browser()
	b.signIn()
	p := b.draft(w26)
	a := e.entry(ed, "a")
	v := p.v(t, a.ID)
	e.clock.Add(time.Second)
	if err := e.db.SetEntryNote(e.ctx, w26, a.ID, "from the terminal", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot(w26)
	for _, c := range []change{
		{entryPath(w26, a.ID, "state"), url.Values{"state": {"rejected"}}},
		{entryPath(w26, a.ID, "move"), url.Values{"section": {"security"}}},
		{entryPath(w26, a.ID, "move"), url.Values{"section": {"cloud"}, "position": {"1"}}},
		{entryPath(w26, a.ID, "summary"), url.Values{"summary": {"编辑刚写的要点，不能丢。"}}},
		{entryPath(w26, a.ID, "summary"), url.Values{"reset": {"1"}}},
		{entryPath(w26, a.ID, "note"), url.Values{"note": {"编辑刚写的按语。"}}},
		{entryPath(w26, a.ID, "related"), url.Values{"add": {"https://example.org/x"}}},
	} {
		c.form.Set("v", v)
		r := b.post(c.path, c.form)
		if r.status != http.StatusConflict || !strings.Contains(r.body, "changed meanwhile") {
			t.Errorf("POST %s %v with a stale v: %d, want 409 saying changed meanwhile\n%s", c.path, c.form, r.status, r.flash())
		}
		for _, k := range []string{"summary", "note"} {
			if text := c.form.Get(k); text != "" && !strings.Contains(r.article(t, a.ID), ">"+text+"</textarea>") {
				t.Errorf("the refused %s is not shown again for the editor:\n%s", k, r.article(t, a.ID))
			}
		}
		if !strings.Contains(r.article(t, a.ID), `name="v" value="`+strconv.FormatInt(e.issue(w26).Entry(a.ID).UpdatedAt.UnixMilli(), 10)+`"`) {
			t.Errorf("the refusal's page does not carry the entry's current version")
		}
	}
	if after := e.snapshot(w26); after != before {
		t.Errorf("a stale change changed the issue:\nbefore %s\nafter  %s", before, after)
	}
	if r := b.post(entryPath(w26, a.ID, "note"), url.Values{"note": {"x"}}); r.status != http.StatusBadRequest {
		t.Errorf("an entry change without v: %d, want 400", r.status)
	}

	// The 编者按 written elsewhere since the page showed it.
	noteV := regexp.MustCompile(`<form id="issue-note"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]*"><input type="hidden" name="v" value="([0-9a-f]+)">`).
		FindStringSubmatch(b.draft(w26).body)
	if noteV == nil {
		t.Fatalf("the 编者按 form carries no v")
	}
	if err := e.db.SetIssueNote(e.ctx, w26, "终端里写的编者按。", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r := b.post("/desk/issue/2016-W26/note", url.Values{"note": {"页面上写的编者按。"}, "v": {noteV[1]}})
	if r.status != http.StatusConflict || !strings.Contains(r.body, ">页面上写的编者按。</textarea>") {
		t.Errorf("a stale 编者按: %d, want 409 with the editor's text kept\n%s", r.status, r.flash())
	}
	if got := e.issue(w26).Note; got != "终端里写的编者按。" {
		t.Errorf("a stale 编者按 overwrote the note: %q", got)
	}
}

// hostileHTML is the summary of publisher's tests that tries everything.
const hostileHTML = testutil.HostileHTML

// hostileTitle is a title that tries to break out of the page.
const hostileTitle = `"><script>alert("title")</script><img src=x onerror=alert(1)>标题 &lt;b&gt;`

// TestHostilePayloads stores what hostile sources write (publisher's
// payloads in titles, summaries, links, explanations, an added page's
// head, the editor's own text) and checks every desk page: the page's own
// script is the only one, no attribute is an event handler or a style,
// every link is the desk's own or http(s).
func TestHostilePayloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ed := e.week26()
	mon26 := w26.Start(time.UTC)
	e.add(
		item{src: 0, key: "h1", title: hostileTitle, summary: hostileHTML, at: mon26.Add(3 * time.Hour), section: "cloud", score: 4},
		item{src: 1, key: "h2", title: `<a href="javascript:alert(1)">链接</a>`, summary: `<script>alert(2)</script>`, link: "javascript:alert(3)",
			at: mon26.Add(3 * time.Hour), section: "security", score: 4},
	)
	b := e.browser()
	b.signIn()
	p := b.draft(w26)
	a := e.entry(ed, "a")
	forms := func(path string, f url.Values) {
		t.Helper()
		f.Set("v", b.draft(w26).v(t, a.ID))
		if r := b.post(path, f); r.status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d\n%s", path, r.status, r.flash())
		}
	}
	forms(entryPath(w26, a.ID, "summary"), url.Values{"summary": {hostileTitle}})
	forms(entryPath(w26, a.ID, "note"), url.Values{"note": {`</textarea><script>alert("note")</script>`}})
	forms(entryPath(w26, a.ID, "related"), url.Values{"add": {`https://example.org/"><script>alert(1)</script>`}})
	b.draft(w26)
	b.post("/desk/issue/2016-W26/note", url.Values{"note": {`<script>alert("编者按")</script>`}})
	b.post("/desk/issue/2016-W26/add-url", url.Values{"section": {"cloud"}, "url": {e.site.URL + "/page"}})
	b.post("/desk/issue/2016-W26/check", url.Values{})
	p = b.draft(w26)
	if !strings.Contains(p.body, "标题") || !strings.Contains(p.body, "Docker 1.12 内置编排。") || !strings.Contains(p.body, "Kubernetes 1.3：从零到一") {
		t.Fatalf("the hostile items are not on the page:\n%s", p.body)
	}
	// What the editor and the sources wrote is there, as text.
	for what, want := range map[string]string{
		"the editor's 要点":           `&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;标题`,
		"the editor's note":         `&lt;/textarea&gt;&lt;script&gt;alert(&#34;note&#34;)&lt;/script&gt;`,
		"the 编者按":                   `&lt;script&gt;alert(&#34;编者按&#34;)&lt;/script&gt;`,
		"the explanation's source":  `source:   &lt;script&gt;alert(&#34;why&#34;)&lt;/script&gt;`,
		"the added page's og:title": `Kubernetes 1.3：从零到一 &lt;script&gt;alert(1)&lt;/script&gt;`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("%s is not on the page as text (want %s)", what, want)
		}
	}
	checkPage(t, "draft", p.body)
	checkPage(t, "login", e.browser().get("/desk/login").body)
	r := b.post(entryPath(w26, a.ID, "note"), url.Values{"note": {`<script>alert("stale")</script>`}, "v": {"1"}})
	if r.status != http.StatusConflict {
		t.Fatalf("stale note: %d", r.status)
	}
	checkPage(t, "conflict", r.body)
}

// checkPage fails when the page, parsed as a browser parses it, holds a
// script other than the desk's own file, an element a source could use
// to run or load anything, an event handler or style attribute, or a URL
// that is neither the desk's own nor http(s).
func checkPage(t *testing.T, where, body string) {
	t.Helper()
	if n := strings.Count(strings.ToLower(body), "<script"); n != 1 {
		t.Errorf("%s: %d <script in the page, want only the desk's own", where, n)
	}
	if regexp.MustCompile(`(?i)href="\s*javascript:`).MatchString(body) {
		t.Errorf("%s: a javascript: href", where)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var walk func(n *html.Node, inHead bool)
	walk = func(n *html.Node, inHead bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script":
				if attr(n, "src") != "/desk/assets/desk.js" || n.FirstChild != nil {
					t.Errorf("%s: a script that is not the desk's: %s", where, render(n))
				}
			case "link", "meta":
				if !inHead {
					t.Errorf("%s: <%s> outside the head: %s", where, n.Data, render(n))
				}
			case "style", "iframe", "object", "embed", "svg", "math", "base", "frame", "frameset", "img", "video", "audio", "source", "template":
				t.Errorf("%s: <%s> on the page: %s", where, n.Data, render(n))
			case "form":
				if !strings.HasPrefix(attr(n, "action"), "/desk/") {
					t.Errorf("%s: a form posting elsewhere: %s", where, render(n))
				}
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if strings.HasPrefix(key, "on") || key == "style" || a.Namespace != "" {
					t.Errorf("%s: attribute %s=%q on <%s>", where, key, a.Val, n.Data)
				}
				if key == "href" || key == "src" || key == "action" || key == "formaction" {
					v := a.Val
					if !strings.HasPrefix(v, "/desk/") && !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
						t.Errorf("%s: <%s %s=%q>", where, n.Data, key, v)
					}
				}
			}
			inHead = inHead || n.Data == "head"
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inHead)
		}
	}
	walk(doc, false)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func render(n *html.Node) string {
	var b strings.Builder
	_ = html.Render(&b, n)
	s := b.String()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// TestConcurrentChanges: two editors (or two tabs) who saw the same version
// of an entry change it at the same moment: one change lands, the others
// are refused as changed meanwhile, and the entry holds the one that landed.
func TestConcurrentChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clock.mu.Lock()
	e.clock.tick = time.Millisecond
	e.clock.mu.Unlock()
	ed := e.week26()
	b := e.browser()
	b.signIn()
	p := b.draft(w26)
	a := e.entry(ed, "a")
	v, csrf := p.v(t, a.ID), b.csrf
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"csrf": {csrf}, "v": {v}, "note": {fmt.Sprintf("编辑 %d 的按语", i)}}
			resp, err := b.c.PostForm(e.srv.URL+entryPath(w26, a.ID, "note"), form)
			if err != nil {
				t.Error(err)
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusSeeOther] != 1 || count[http.StatusConflict] != n-1 {
		t.Errorf("%d changes at once from one version: statuses %v, want one 303 and %d 409", n, count, n-1)
	}
	if note := e.issue(w26).Entry(a.ID).Note; !strings.HasPrefix(note, "编辑 ") {
		t.Errorf("the entry's note is %q, want the change that landed", note)
	}
}
