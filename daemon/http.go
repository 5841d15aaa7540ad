package daemon

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/feedcurator/feedcurator/internal/logkey"
	"github.com/feedcurator/feedcurator/internal/webguard"
	"github.com/feedcurator/feedcurator/sqlite"
)

// schedulerStale is how old the poller's heartbeat may be before /healthz
// reports the scheduler dead (it beats at least every 15 seconds).
const schedulerStale = time.Minute

// healthEvery is how often the health figures that need the store are
// refreshed, so that a request to /healthz costs one ping whatever the size
// of the store and however many clients poll it.
const healthEvery = 10 * time.Second

// Handler is the daemon's HTTP surface: the publisher's feeds and pages,
// plus health, metrics, explanations, admin endpoints and the editor's
// desk.
func (m *Main) Handler() http.Handler {
	pub := m.Publisher.Handler()
	mux := http.NewServeMux()
	mux.Handle("/", pub)
	mux.HandleFunc("GET /healthz", m.serveHealth)
	mux.HandleFunc("GET /items/{id}/explain", m.serveExplain)
	mux.Handle("GET /metrics", m.metrics.handler())
	mux.Handle("POST /admin/reload", m.adminOnly(http.HandlerFunc(m.serveReload)))
	mux.Handle("/desk/", m.Desk)
	return m.metrics.instrument(mux, pub)
}

type healthReport struct {
	Status           string  `json:"status"` // ok or unavailable
	Database         string  `json:"database"`
	Scheduler        string  `json:"scheduler"`
	SchedulerBeatAge float64 `json:"scheduler_heartbeat_age_seconds"`
	LastSuccessAge   float64 `json:"last_success_age_seconds,omitempty"`
	Sources          int     `json:"sources"`
	SourcesFailing   int     `json:"sources_failing"`
	FiguresAge       float64 `json:"figures_age_seconds"` // age of sources, sources_failing and last_success_age
	Error            string  `json:"error,omitempty"`
}

// health holds the store figures of /healthz, refreshed by one request at a
// time at most every healthEvery; the others answer with the figures at
// hand.
type health struct {
	mu         sync.Mutex
	figures    sqlite.SourceHealth
	read       time.Time // when figures were read; zero before the first read
	refreshing bool
}

// figures returns the latest source figures and when they were read,
// starting a refresh in the background when they are stale.
func (m *Main) healthFigures() (sqlite.SourceHealth, time.Time) {
	h := &m.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.read) >= healthEvery && !h.refreshing {
		h.refreshing = true
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			f, err := m.DB.SourceHealth(ctx)
			h.mu.Lock()
			defer h.mu.Unlock()
			h.refreshing = false
			if err == nil {
				h.figures, h.read = f, time.Now()
			}
		}()
	}
	return h.figures, h.read
}

// serveHealth answers 200 while the database answers a ping and the
// scheduler turns, else 503, with the figures behind the verdict. It costs
// one ping of the store: the source figures are at most healthEvery old.
func (m *Main) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	h := healthReport{Status: "ok", Database: "ok", Scheduler: "ok"}
	if err := m.DB.Ping(ctx); err != nil {
		h.Status, h.Database, h.Error = "unavailable", "error", err.Error()
	}
	if f, read := m.healthFigures(); !read.IsZero() {
		h.Sources, h.SourcesFailing = f.Sources, f.SourcesFailing
		h.FiguresAge = time.Since(read).Round(time.Millisecond).Seconds()
		if !f.LastSuccess.IsZero() {
			h.LastSuccessAge = time.Since(f.LastSuccess).Round(time.Second).Seconds()
		}
	}
	beat := m.Poller.Heartbeat()
	switch {
	case beat.IsZero():
		h.Scheduler = "starting"
	default:
		h.SchedulerBeatAge = time.Since(beat).Round(time.Millisecond).Seconds()
		if time.Since(beat) > schedulerStale {
			h.Status, h.Scheduler = "unavailable", "stalled"
		}
	}
	code := http.StatusOK
	if h.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(h)
}

// adminOnly lets a request through when it is an administrator's: with
// admin.token set, one that carries it as a bearer token; without one, a
// request straight from loopback. A request that came through a proxy (it
// carries Forwarded, X-Forwarded-For, X-Real-IP or Via) is never taken as
// local, and one a browser made for a page of another site is refused
// whatever it carries. Failed tokens are rate-limited per client address.
func (m *Main) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if webguard.CrossSite(r) {
			http.Error(w, "cross-site requests are refused", http.StatusForbidden)
			return
		}
		switch m.adminAuth(r) {
		case authOK:
			next.ServeHTTP(w, r)
		case authLimited:
			w.Header().Set("Retry-After", strconv.Itoa(int(failWindow.Seconds())))
			http.Error(w, "too many failed attempts", http.StatusTooManyRequests)
		case authNeedsToken:
			w.Header().Set("WWW-Authenticate", `Bearer realm="feedcurator"`)
			http.Error(w, "admin token required", http.StatusUnauthorized)
		default:
			http.Error(w, "admin endpoints answer loopback only (set admin.token to allow others)", http.StatusForbidden)
		}
	})
}

type authResult int

const (
	authOK authResult = iota
	authNeedsToken
	authLimited
	authLoopbackOnly
)

// adminAuth decides whether r is an administrator's (see adminOnly).
func (m *Main) adminAuth(r *http.Request) authResult {
	token := m.config().Admin.Token
	if token == "" {
		if webguard.FromLoopback(r) && !webguard.Proxied(r) {
			return authOK
		}
		return authLoopbackOnly
	}
	client := webguard.ClientHost(r)
	if m.failures.limited(client, time.Now()) {
		return authLimited
	}
	got := r.Header.Get("Authorization")
	if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+token)) == 1 {
		return authOK
	}
	if got != "" {
		m.failures.add(client, time.Now())
		m.Logger.Warn().Str(logkey.Remote, client).Str(logkey.Path, r.URL.Path).Msg("admin token refused")
	}
	return authNeedsToken
}

// failWindow and failLimit bound guessing the admin token: at most
// failLimit wrong tokens per client address in failWindow.
const (
	failWindow = time.Minute
	failLimit  = 5
	failHosts  = 4096 // addresses remembered; the oldest are forgotten first
)

// failures counts recent failed attempts per client address.
type failures struct {
	mu   sync.Mutex
	seen map[string][]time.Time
}

func (f *failures) recent(host string, now time.Time) []time.Time {
	ts := f.seen[host]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > failWindow {
		i++
	}
	return ts[i:]
}

func (f *failures) limited(host string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.recent(host, now)) >= failLimit
}

func (f *failures) add(host string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen = map[string][]time.Time{}
	}
	if _, ok := f.seen[host]; !ok && len(f.seen) >= failHosts {
		for h := range f.seen { // forget some address; the map is bounded
			delete(f.seen, h)
			break
		}
	}
	f.seen[host] = append(f.recent(host, now), now)
}

// serveReload answers POST /admin/reload with what the reload did: the
// settings applied and those that need a restart, or every problem of a
// configuration that did not validate.
func (m *Main) serveReload(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	res, err := m.Reload(r.Context())
	if err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprint(w, res.String())
}
