package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"github.com/feedcurator/feedcurator/config"
	"github.com/feedcurator/feedcurator/internal/logkey"
)

// schedulerStale is how old the poller's heartbeat may be before /healthz
// reports the scheduler dead (it beats at least every 15 seconds).
const schedulerStale = time.Minute

// Handler is the daemon's HTTP surface: the publisher's feeds, plus health,
// metrics and admin endpoints.
func (m *Main) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", m.Publisher.Handler())
	mux.HandleFunc("GET /healthz", m.serveHealth)
	mux.HandleFunc("GET /items/{id}/explain", m.serveExplain)
	mux.Handle("GET /metrics", m.metrics.handler())
	mux.Handle("POST /admin/reload", m.adminOnly(http.HandlerFunc(m.serveReload)))
	return m.metrics.instrument(mux)
}

type healthReport struct {
	Status           string  `json:"status"` // ok or unavailable
	Database         string  `json:"database"`
	Scheduler        string  `json:"scheduler"`
	SchedulerBeatAge float64 `json:"scheduler_heartbeat_age_seconds"`
	LastSuccessAge   float64 `json:"last_success_age_seconds,omitempty"`
	Sources          int     `json:"sources"`
	SourcesFailing   int     `json:"sources_failing"`
	Error            string  `json:"error,omitempty"`
}

// serveHealth answers 200 while the database answers and the scheduler
// turns, else 503, with the figures behind the verdict.
func (m *Main) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	h := healthReport{Status: "ok", Database: "ok", Scheduler: "ok"}
	st, err := m.DB.Stats(ctx)
	if err == nil {
		err = m.DB.Ping(ctx)
	}
	if err != nil {
		h.Status, h.Database, h.Error = "unavailable", "error", err.Error()
	} else {
		h.Sources, h.SourcesFailing = st.Sources, st.SourcesFailing
		if !st.LastSuccess.IsZero() {
			h.LastSuccessAge = time.Since(st.LastSuccess).Round(time.Second).Seconds()
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

// adminOnly lets a request through when it carries the configured bearer
// token, or, with no token configured, when it comes from loopback.
func (m *Main) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := m.config().Admin.Token
		if token != "" {
			if r.Header.Get("Authorization") != "Bearer "+token {
				w.Header().Set("WWW-Authenticate", `Bearer realm="feedcurator"`)
				http.Error(w, "admin token required", http.StatusUnauthorized)
				return
			}
		} else if !fromLoopback(r) {
			http.Error(w, "admin endpoints answer loopback only (set admin.token to allow others)", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (m *Main) serveReload(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := m.Reload(r.Context()); err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintln(w, "reloaded")
}

// Reload re-reads the configuration file. Sources added are polled, sources
// removed stop (their items stay), changed rules re-classify the stored items,
// and feed settings apply at once. A configuration that fails validation is
// logged with every problem and the running one stays.
func (m *Main) Reload(ctx context.Context) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	notifyReloading()
	defer func() { _, _ = sd.SdNotify(false, sd.SdNotifyReady) }()

	if m.ConfigPath == "" {
		return errors.New("no configuration file to reload")
	}
	cfg, err := config.Load(m.ConfigPath)
	if err == nil {
		err = m.apply(ctx, cfg)
	}
	if err != nil {
		m.metrics.reloads.WithLabelValues("error").Inc()
		m.Logger.Error().Err(err).Str(logkey.Config, m.ConfigPath).Msg("reload failed, keeping the running configuration")
		return err
	}
	m.metrics.reloads.WithLabelValues("ok").Inc()
	return nil
}

func (m *Main) apply(ctx context.Context, cfg *config.Config) error {
	old := m.config()
	rs, err := cfg.Ruleset()
	if err != nil {
		return err
	}
	for _, k := range restartOnly(old, cfg) {
		m.Logger.Warn().Str(logkey.Field, k).Msg("setting changes on restart only")
	}
	cfg.Database, cfg.Listen, cfg.Fetch = old.Database, old.Listen, old.Fetch
	sources, err := m.DB.SyncSources(ctx, SourcesOf(cfg))
	if err != nil {
		return fmt.Errorf("register sources: %w", err)
	}
	m.Poller.SetSources(sources)
	m.DB.SetMaxAge(cfg.Retention.MaxAge.Duration)
	m.Curator.SetRuleset(rs)
	m.Digest.SetOptions(DigestOptions(cfg))
	m.Publisher.SetOptions(m.publishOptions(cfg, "http://"+m.Addr))
	m.setConfig(cfg)
	m.Logger.Info().Int(logkey.Sources, len(sources)).Str(logkey.RulesVer, rs.Version()).Msg("configuration reloaded")
	return nil
}

// restartOnly lists the settings that differ but apply only on restart.
func restartOnly(old, cfg *config.Config) []string {
	var out []string
	if old.Database != cfg.Database {
		out = append(out, "database")
	}
	if old.Listen != cfg.Listen {
		out = append(out, "listen")
	}
	if old.Fetch != cfg.Fetch {
		out = append(out, "fetch")
	}
	return out
}

// notifyReloading tells systemd a reload has begun, with the monotonic
// timestamp that Type=notify-reload services must send.
func notifyReloading() {
	var ts unix.Timespec
	msg := sd.SdNotifyReloading
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err == nil {
		msg += "\nMONOTONIC_USEC=" + strconv.FormatInt(ts.Nano()/1000, 10)
	}
	_, _ = sd.SdNotify(false, msg)
}

// watchdog sends WATCHDOG=1 at half the interval systemd asked for, but
// only while the database answers: a daemon whose store is stuck gets
// restarted.
func (m *Main) watchdog(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, interval/2)
		err := m.DB.Ping(pctx)
		cancel()
		if err != nil {
			if err.Error() != lastErr {
				m.Logger.Error().Err(err).Msg("database ping failed, withholding watchdog")
			}
			lastErr = err.Error()
			continue
		}
		lastErr = ""
		_, _ = sd.SdNotify(false, sd.SdNotifyWatchdog)
	}
}

// retain prunes the store on the retention schedule: items older than
// retention.max_age and beyond retention.max_per_source, never pinned ones.
func (m *Main) retain(ctx context.Context) error {
	t := time.NewTicker(m.config().Retention.Interval.Duration)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cfg := m.config()
		if cfg.Retention.MaxAge.Duration == 0 && cfg.Retention.MaxPerSource == 0 {
			continue
		}
		st, err := m.DB.Prune(ctx, time.Now(), cfg.Retention.MaxPerSource)
		if err != nil {
			if ctx.Err() == nil {
				m.Logger.Error().Err(err).Msg("prune failed")
			}
			continue
		}
		if st.ByAge+st.OverCap > 0 {
			m.Logger.Info().Int(logkey.Items, st.ByAge+st.OverCap).Int64(logkey.Freed, st.FreedBytes).Msg("items pruned")
		}
	}
}
