package desk

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/feedcurator/feedcurator/curator"
	"github.com/feedcurator/feedcurator/digest"
	"github.com/feedcurator/feedcurator/feeds"
	"github.com/feedcurator/feedcurator/internal/logkey"
	"github.com/feedcurator/feedcurator/internal/webguard"
)

// Builder is what the desk asks of the digest; *digest.Builder satisfies it.
type Builder interface {
	Draft(ctx context.Context, w feeds.Week) (*feeds.EditedIssue, error)
	Preview(ctx context.Context, w feeds.Week) (*feeds.Issue, error)
	Check(ctx context.Context, w feeds.Week) ([]digest.Problem, error)
	Publish(ctx context.Context, w feeds.Week) (*feeds.Issue, error)
	AddURL(ctx context.Context, w feeds.Week, section, link string) (int64, error)
	Latest(now time.Time) feeds.Week // the desk's default week is Latest(now).Next()
	Options() digest.Options         // Sections (configured order, titles), Location
}

// Store is what the desk changes; *sqlite.DB satisfies it.
type Store interface {
	SetEntryState(ctx context.Context, w feeds.Week, id int64, state feeds.EntryState, now time.Time) error
	MoveEntry(ctx context.Context, w feeds.Week, id int64, section string, position int, now time.Time) error
	SetEntrySummary(ctx context.Context, w feeds.Week, id int64, summary *string, now time.Time) error
	SetEntryNote(ctx context.Context, w feeds.Week, id int64, note string, now time.Time) error
	SetEntryRelated(ctx context.Context, w feeds.Week, id int64, related []feeds.RelatedLink, now time.Time) error
	SetIssueNote(ctx context.Context, w feeds.Week, note string, now time.Time) error
	SetAutoPublish(ctx context.Context, w feeds.Week, on bool, now time.Time) error
	FeaturedEarlier(ctx context.Context, w feeds.Week) ([]feeds.Featured, error)
}

// Options configure a Desk.
type Options struct {
	Builder Builder
	Store   Store
	// Explain explains stored item id as the curator decides it now (the daemon passes
	// ExplainStored's Explanation); nil shows no explanations.
	Explain func(ctx context.Context, itemID int64) (curator.Explanation, error)
	// PasswordHash returns the bcrypt hash of the editor's password as configured now (it
	// follows reloads); "" means sign-in is impossible and the login page says to run
	// `feedcurator desk passwd`.
	PasswordHash func() string
	// Remote lets the desk answer requests from non-loopback addresses and through proxies
	// (desk.allow_remote in the configuration); false (the default) refuses them with 403,
	// as the daemon's admin endpoints do.
	Remote func() bool
	Logger zerolog.Logger
	Now    func() time.Time // nil: time.Now
}

// Desk serves the editor's desk. It keeps its sessions in memory: a
// restart signs the editor out.
type Desk struct {
	o        Options
	log      zerolog.Logger
	mux      *http.ServeMux
	sessions *sessions
	logins   *limiter
	// bcrypt is a semaphore: password comparisons cost CPU on purpose,
	// so only a few run at a time whatever arrives.
	bcrypt chan struct{}
	// loginKey signs the login form's token (see loginToken).
	loginKey []byte
	// edits makes each change's look at the entry (the form's v) and its
	// write one step, so two editors' changes to one entry cannot both
	// pass the check. Check and add-url, which wait on the network, do
	// not hold it.
	edits sync.Mutex
}

//go:embed assets
var assets embed.FS

// Cookie names: the session's, and the login form's before there is one.
const (
	sessionCookie = "feedcurator_desk"
	loginCookie   = "feedcurator_desk_login"
	cookiePath    = "/desk/"
)

// MinPassword is the shortest password HashPassword accepts, in bytes.
const MinPassword = 8

// hashCost is the bcrypt cost of the editor's password.
const hashCost = 12

// HashPassword returns the bcrypt hash of password, as desk.password_hash
// keeps it. It refuses passwords shorter than MinPassword bytes, and
// longer than bcrypt reads (72 bytes), which it would cut silently.
func HashPassword(password string) (string, error) {
	if len(password) < MinPassword {
		return "", fmt.Errorf("the password is too short: want at least %d bytes", MinPassword)
	}
	if len(password) > 72 {
		return "", errors.New("the password is too long: bcrypt reads at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), hashCost)
	if err != nil {
		return "", fmt.Errorf("hash the password: %w", err)
	}
	return string(h), nil
}

// New returns a desk serving o.Builder's issues.
func New(o Options) *Desk {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PasswordHash == nil {
		o.PasswordHash = func() string { return "" }
	}
	if o.Remote == nil {
		o.Remote = func() bool { return false }
	}
	d := &Desk{
		o:        o,
		log:      o.Logger.With().Str(logkey.Component, "desk").Logger(),
		sessions: newSessions(),
		logins:   newLimiter(),
		bcrypt:   make(chan struct{}, 2),
		loginKey: randomBytes(32),
	}
	d.routes()
	return d
}

// exclusive runs h under d.edits.
func (d *Desk) exclusive(h func(*request) error) func(*request) error {
	return func(req *request) error {
		d.edits.Lock()
		defer d.edits.Unlock()
		return h(req)
	}
}

// routes builds the desk's router; every path is absolute under /desk/.
func (d *Desk) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /desk/assets/{name}", d.serveAsset)
	m.HandleFunc("GET /desk/login", d.serveLogin)
	m.HandleFunc("POST /desk/login", d.login)
	m.HandleFunc("POST /desk/logout", d.signedIn(d.logout))
	m.HandleFunc("GET /desk/{$}", d.signedIn(d.serveHome))
	m.HandleFunc("GET /desk/issue/{week}", d.signedIn(d.serveDraft))
	for _, r := range []struct {
		path string
		h    func(*request) error
		net  bool // waits on the network: not under d.edits
	}{
		{"entry/{id}/state", d.setState, false},
		{"entry/{id}/move", d.move, false},
		{"entry/{id}/summary", d.setSummary, false},
		{"entry/{id}/note", d.setNote, false},
		{"entry/{id}/related", d.setRelated, false},
		{"note", d.setIssueNote, false},
		{"add-url", d.addURL, true},
		{"check", d.check, true},
		{"publish", d.publish, false},
		{"auto-publish", d.autoPublish, false},
	} {
		h := r.h
		if !r.net {
			h = d.exclusive(h)
		}
		m.HandleFunc("POST /desk/issue/{week}/"+r.path, d.signedIn(d.change(h)))
	}
	m.HandleFunc("/desk/", d.signedIn(func(w http.ResponseWriter, r *http.Request, s *session) {
		d.errorPage(w, r, s, http.StatusNotFound, "no such page")
	}))
	d.mux = m
}

// ServeHTTP answers the requests for /desk/ (it sees full paths).
func (d *Desk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	if !d.o.Remote() && (!webguard.FromLoopback(r) || webguard.Proxied(r)) {
		http.Error(w, "the desk answers loopback only (set desk.allow_remote to allow others)", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && webguard.CrossSite(r) {
		d.log.Warn().Str(logkey.Remote, webguard.ClientHost(r)).Str(logkey.Path, r.URL.Path).Msg("cross-site request refused")
		http.Error(w, "cross-site requests are refused", http.StatusForbidden)
		return
	}
	d.mux.ServeHTTP(w, r)
}

// secure reports whether r reached the desk over https, directly or
// through a proxy the configuration trusts.
func (d *Desk) secure(r *http.Request) bool {
	return r.TLS != nil || (d.o.Remote() && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// cookie returns a desk cookie for r with the desk's attributes.
func (d *Desk) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: d.secure(r),
	}
}

// serveAsset serves the embedded style sheet and script.
func (d *Desk) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var ctype string
	switch name {
	case "desk.css":
		ctype = "text/css; charset=utf-8"
	case "desk.js":
		ctype = "text/javascript; charset=utf-8"
	default:
		http.NotFound(w, r)
		return
	}
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}
