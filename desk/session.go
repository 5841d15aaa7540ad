package desk

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
	"github.com/feedcurator/feedcurator/internal/webguard"
)

// Session lifetimes: a session ends after sessionIdle without a request,
// and sessionMax after sign-in whatever happens.
const (
	sessionIdle = 12 * time.Hour
	sessionMax  = 7 * 24 * time.Hour
	// maxSessions bounds the sessions kept; signing in once more forgets
	// the least recently used.
	maxSessions = 64
)

// Sign-in throttling: after failLimit wrong passwords from one client
// address within failWindow, each further attempt is answered 429 until
// the oldest of them is failWindow old.
const (
	failWindow = time.Minute
	failLimit  = 3
	failHosts  = 4096 // addresses remembered; some are forgotten beyond
)

// session is a signed-in editor's.
type session struct {
	id    string
	csrf  string // the token every change carries
	start time.Time
	seen  time.Time
	flash string       // the message for the next page
	check *checkResult // the last check run in this session
}

// checkResult is what a check found, kept for the page that follows it.
type checkResult struct {
	week     feeds.Week
	at       time.Time
	problems []digest.Problem
}

// sessions are the signed-in sessions, by ID.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
}

func newSessions() *sessions { return &sessions{byID: map[string]*session{}} }

// randomBytes returns n bytes from the system's random source.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics instead)
	return b
}

// tokenLen is the length of a random token.
var tokenLen = base64.RawURLEncoding.EncodedLen(32)

// randomToken returns a random 256-bit token, URL-safe.
func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// get returns the live session id, marking it seen at now, or nil.
func (ss *sessions) get(id string, now time.Time) *session {
	if id == "" {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s == nil {
		return nil
	}
	if now.Sub(s.seen) > sessionIdle || now.Sub(s.start) > sessionMax {
		delete(ss.byID, id)
		return nil
	}
	s.seen = now
	return s
}

// create starts a session at now; the expired ones go, and the least
// recently used when too many are kept.
func (ss *sessions) create(now time.Time) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, s := range ss.byID {
		if now.Sub(s.seen) > sessionIdle || now.Sub(s.start) > sessionMax {
			delete(ss.byID, id)
		}
	}
	for len(ss.byID) >= maxSessions {
		var oldest *session
		for _, s := range ss.byID {
			if oldest == nil || s.seen.Before(oldest.seen) {
				oldest = s
			}
		}
		delete(ss.byID, oldest.id)
	}
	s := &session{id: randomToken(), csrf: randomToken(), start: now, seen: now}
	ss.byID[s.id] = s
	return s
}

// end forgets session id.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

// setFlash sets the message the next page of s shows.
func (ss *sessions) setFlash(s *session, msg string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.flash = msg
}

// popFlash returns and clears the message of s.
func (ss *sessions) popFlash(s *session) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	msg := s.flash
	s.flash = ""
	return msg
}

// setCheck keeps the result of a check for the pages of s.
func (ss *sessions) setCheck(s *session, c *checkResult) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.check = c
}

// lastCheck returns the last check of s for week w, or nil.
func (ss *sessions) lastCheck(s *session, w feeds.Week) *checkResult {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s.check == nil || s.check.week != w {
		return nil
	}
	return s.check
}

// limiter counts recent failed sign-ins per client address, and the
// attempts under way: those count as failures until they are decided, so
// that many attempts sent at once cannot all slip under the limit.
type limiter struct {
	mu      sync.Mutex
	seen    map[string][]time.Time
	pending map[string]int
}

func newLimiter() *limiter {
	return &limiter{seen: map[string][]time.Time{}, pending: map[string]int{}}
}

func (l *limiter) recent(host string, now time.Time) []time.Time {
	ts := l.seen[host]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= failWindow {
		i++
	}
	return ts[i:]
}

// begin starts an attempt of host at now and returns 0, or returns how
// long host must wait before it may try again (and starts nothing).
// Every attempt begun is ended with end.
func (l *limiter) begin(host string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.recent(host, now)
	if n := len(ts) + l.pending[host]; n >= failLimit {
		if len(ts) < failLimit {
			return time.Second // attempts under way: their outcome decides
		}
		return ts[len(ts)-failLimit].Add(failWindow).Sub(now)
	}
	l.pending[host]++
	return 0
}

// end ends an attempt of host begun with begin: a failure at now, or
// a success (which forgets the host's failures), or neither (an attempt
// abandoned before its password was compared).
func (l *limiter) end(host string, now time.Time, outcome attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending[host]--; l.pending[host] <= 0 {
		delete(l.pending, host)
	}
	switch outcome {
	case attemptOK:
		delete(l.seen, host)
	case attemptFailed:
		if _, ok := l.seen[host]; !ok && len(l.seen) >= failHosts {
			for h := range l.seen { // forget some address; the map is bounded
				delete(l.seen, h)
				break
			}
		}
		l.seen[host] = append(l.recent(host, now), now)
	}
}

// attempt is how a sign-in attempt ended.
type attempt int

const (
	attemptAbandoned attempt = iota
	attemptOK
	attemptFailed
)

// tokenOK reports whether got is want, in constant time; an empty want
// never matches.
func tokenOK(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// loginToken is the login form's CSRF token for the login cookie's value:
// the cookie alone is not enough, nor the form alone.
func (d *Desk) loginToken(cookie string) string {
	m := hmac.New(sha256.New, d.loginKey)
	m.Write([]byte("login\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// current returns the session r carries, or nil.
func (d *Desk) current(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return d.sessions.get(c.Value, d.o.Now())
}

// signedIn lets a request through to h when it carries a live session:
// otherwise a GET goes to the sign-in page and a change is refused.
func (d *Desk) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := d.current(r)
		if s == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/desk/login", http.StatusSeeOther)
				return
			}
			d.loginPage(w, r, http.StatusForbidden, "Sign in first: the session has ended or was never started.")
			return
		}
		h(w, r, s)
	}
}

// maxForm bounds the body of a desk form.
const maxForm = 1 << 20

// parseForm reads r's form, its body bounded.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

// serveLogin shows the sign-in form, or goes to the desk when signed in.
func (d *Desk) serveLogin(w http.ResponseWriter, r *http.Request) {
	if d.current(r) != nil {
		http.Redirect(w, r, "/desk/", http.StatusSeeOther)
		return
	}
	d.loginPage(w, r, http.StatusOK, "")
}

// loginPage renders the sign-in form with status and flash, giving the
// browser a login cookie if it has none.
func (d *Desk) loginPage(w http.ResponseWriter, r *http.Request, status int, flash string) {
	c, err := r.Cookie(loginCookie)
	value := ""
	if err == nil && len(c.Value) == tokenLen {
		value = c.Value
	} else {
		value = randomToken()
		http.SetCookie(w, d.cookie(r, loginCookie, value, int(time.Hour.Seconds())))
	}
	v := loginView{CSRF: d.loginToken(value), Flash: flash, NoPassword: d.o.PasswordHash() == ""}
	d.render(w, r, status, "login", v)
}

// login checks the editor's password and starts a session.
func (d *Desk) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.loginPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	host := webguard.ClientHost(r)
	now := d.o.Now()
	c, err := r.Cookie(loginCookie)
	if err != nil || !tokenOK(r.PostFormValue("csrf"), d.loginToken(c.Value)) {
		d.log.Warn().Str(logkey.Remote, host).Msg("sign-in without a valid form token")
		d.loginPage(w, r, http.StatusForbidden, "The sign-in form has expired: sign in again.")
		return
	}
	hash := d.o.PasswordHash()
	if hash == "" {
		d.loginPage(w, r, http.StatusForbidden, "No password is configured: run feedcurator desk passwd.")
		return
	}
	if wait := d.logins.begin(host, now); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		d.loginPage(w, r, http.StatusTooManyRequests, "Too many wrong passwords: try again in "+strconv.Itoa(secs)+" seconds.")
		return
	}
	outcome := attemptAbandoned
	defer func() { d.logins.end(host, now, outcome) }()
	// A comparison waits its turn for a while, not for ever.
	wait := time.NewTimer(10 * time.Second)
	defer wait.Stop()
	select {
	case d.bcrypt <- struct{}{}:
	case <-wait.C:
		w.Header().Set("Retry-After", "10")
		d.loginPage(w, r, http.StatusServiceUnavailable, "Too many sign-ins at once: try again in a few seconds.")
		return
	case <-r.Context().Done():
		return
	}
	err = bcrypt.CompareHashAndPassword([]byte(hash), []byte(r.PostFormValue("password")))
	<-d.bcrypt
	switch {
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		outcome = attemptFailed
		d.log.Warn().Str(logkey.Remote, host).Msg("desk password refused")
		d.loginPage(w, r, http.StatusUnauthorized, "Wrong password.")
		return
	case err != nil:
		d.log.Error().Err(err).Msg("desk password hash unusable")
		d.loginPage(w, r, http.StatusInternalServerError, "The configured password hash is not a bcrypt hash: run feedcurator desk passwd.")
		return
	}
	outcome = attemptOK
	if old, err := r.Cookie(sessionCookie); err == nil {
		d.sessions.end(old.Value) // a new ID at every sign-in
	}
	s := d.sessions.create(now)
	http.SetCookie(w, d.cookie(r, sessionCookie, s.id, 0))
	http.SetCookie(w, d.cookie(r, loginCookie, "", -1))
	d.log.Info().Str(logkey.Remote, host).Msg("desk signed in")
	http.Redirect(w, r, "/desk/", http.StatusSeeOther)
}

// logout ends the session.
func (d *Desk) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := parseForm(w, r); err != nil || !tokenOK(r.PostFormValue("csrf"), s.csrf) {
		d.errorPage(w, r, s, http.StatusForbidden, "The form's token is missing or wrong: reload the page.")
		return
	}
	d.sessions.end(s.id)
	http.SetCookie(w, d.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/desk/login", http.StatusSeeOther)
}
